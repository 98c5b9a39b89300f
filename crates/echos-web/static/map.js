// The territory's map and the map picker, over Leaflet (vendored, served from /static/).
//
// On /carte: `#map` carries the GeoJSON address, the tiles and the centre; the markers are
// clustered by layer (events, places, structures), the checkboxes show and hide the layers, and
// the list beside the map keeps to what the view shows. Without JavaScript the page is the list.
//
// On an event's or a place's form: `[data-map-picker]` holds the latitude and longitude fields;
// a click on the map places the marker, dragging moves it, and typing coordinates moves it too.
(function () {
  'use strict';
  if (typeof L === 'undefined') return;

  // Leaflet writes an attribution as HTML: the region's is text, so it is escaped first.
  function tiles(map, el) {
    var text = document.createElement('span');
    text.textContent = el.dataset.attribution || '';
    L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: text.innerHTML }).addTo(map);
  }

  function dot(layer) {
    return L.divIcon({ className: 'map-marker map-marker--' + layer, iconSize: [18, 18], html: '' });
  }

  function territory(el) {
    var map = L.map(el, { scrollWheelZoom: false }).setView([+el.dataset.lat, +el.dataset.lon], +el.dataset.zoom);
    tiles(map, el);
    var names = { event: 'evenements', place: 'lieux', structure: 'structures' };
    var groups = {};
    Object.keys(names).forEach(function (layer) {
      groups[layer] = L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 50 });
    });
    var features = [];
    var list = document.getElementById('map-items');
    var count = document.getElementById('map-count');
    var empty = document.getElementById('map-empty');

    function shown(layer) {
      var box = document.querySelector('input[data-layer="' + names[layer] + '"]');
      return !box || box.checked;
    }

    function refreshList() {
      var bounds = map.getBounds();
      var inView = features.filter(function (f) {
        var c = f.geometry.coordinates;
        return shown(f.properties.layer) && bounds.contains([c[1], c[0]]);
      });
      list.textContent = '';
      inView.slice(0, 100).forEach(function (f) {
        var li = document.createElement('li');
        li.className = 'map-item map-item--' + f.properties.layer;
        var layer = document.createElement('p');
        layer.className = 'map-item__layer';
        layer.textContent = el.dataset[f.properties.layer] || '';
        var title = document.createElement('p');
        title.className = 'map-item__title';
        var a = document.createElement('a');
        a.href = f.properties.url;
        a.textContent = f.properties.title;
        title.appendChild(a);
        li.appendChild(layer);
        li.appendChild(title);
        var more = [f.properties.when, f.properties.place].filter(Boolean).join(' · ');
        if (more) {
          var p = document.createElement('p');
          p.className = 'map-item__place';
          p.textContent = more;
          li.appendChild(p);
        }
        list.appendChild(li);
      });
      var n = inView.length;
      count.textContent = n === 1 ? el.dataset.countOne : el.dataset.countOther.replace('%{n}', n);
      if (empty) empty.hidden = n > 0;
    }

    function draw() {
      Object.keys(groups).forEach(function (layer) {
        if (shown(layer)) map.addLayer(groups[layer]); else map.removeLayer(groups[layer]);
      });
      refreshList();
    }

    fetch(el.dataset.geojson, { headers: { Accept: 'application/geo+json' } })
      .then(function (r) { return r.ok ? r.json() : { features: [] }; })
      .then(function (data) {
        features = data.features || [];
        features.forEach(function (f) {
          var c = f.geometry.coordinates;
          var m = L.marker([c[1], c[0]], { icon: dot(f.properties.layer), title: f.properties.title, keyboard: true });
          var box = document.createElement('div');
          var a = document.createElement('a');
          a.href = f.properties.url;
          a.textContent = f.properties.title;
          box.appendChild(a);
          if (f.properties.when || f.properties.place) {
            var p = document.createElement('p');
            p.textContent = [f.properties.when, f.properties.place].filter(Boolean).join(' · ');
            box.appendChild(p);
          }
          m.bindPopup(box);
          (groups[f.properties.layer] || groups.place).addLayer(m);
        });
        draw();
        el.dataset.ready = String(features.length);
      });

    map.on('moveend', refreshList);
    document.querySelectorAll('input[data-layer]').forEach(function (box) {
      box.addEventListener('change', draw);
    });
  }

  function picker(el) {
    var lat = document.getElementById('lat');
    var lon = document.getElementById('lon');
    var canvas = el.querySelector('.map-picker__canvas');
    var start = lat.value && lon.value ? [+lat.value.replace(',', '.'), +lon.value.replace(',', '.')] : null;
    var map = L.map(canvas).setView(start || [+canvas.dataset.lat, +canvas.dataset.lon], start ? 15 : +canvas.dataset.zoom);
    tiles(map, canvas);
    var marker = null;

    function place(latlng, pan) {
      if (!marker) {
        marker = L.marker(latlng, { draggable: true, keyboard: true, title: canvas.dataset.label, icon: dot('pick') }).addTo(map);
        marker.on('dragend', function () { write(marker.getLatLng()); });
      } else {
        marker.setLatLng(latlng);
      }
      if (pan) map.panTo(latlng);
    }

    function write(latlng) {
      lat.value = latlng.lat.toFixed(6);
      lon.value = latlng.lng.toFixed(6);
    }

    if (start) place(start, false);
    map.on('click', function (e) { place(e.latlng, false); write(e.latlng); });
    [lat, lon].forEach(function (input) {
      input.addEventListener('change', function () {
        var a = parseFloat(lat.value.replace(',', '.'));
        var b = parseFloat(lon.value.replace(',', '.'));
        if (isFinite(a) && isFinite(b) && Math.abs(a) <= 90 && Math.abs(b) <= 180) place([a, b], true);
      });
    });
  }

  var el = document.getElementById('map');
  if (el) {
    el.hidden = false;
    territory(el);
  }
  document.querySelectorAll('[data-map-picker]').forEach(function (p) {
    p.querySelector('.map-picker__canvas').hidden = false;
    picker(p);
  });
})();
