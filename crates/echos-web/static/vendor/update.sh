#!/usr/bin/env bash
# Refreshes the vendored map library: Leaflet and Leaflet.markercluster, taken from the npm
# registry as published (`npm pack`, no build, no Node at Rust build time), with their licences.
# The files are embedded in the binary and served from /static/ (assets.rs): the map needs no
# third-party host but the tile server's.
#   crates/echos-web/static/vendor/update.sh [LEAFLET_VERSION] [MARKERCLUSTER_VERSION]
set -euo pipefail
cd "$(dirname "$0")"
LEAFLET=${1:-1.9.4}
CLUSTER=${2:-1.5.3}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
(cd "$WORK" && npm pack --silent "leaflet@$LEAFLET" "leaflet.markercluster@$CLUSTER" >/dev/null)
tar xzf "$WORK/leaflet-$LEAFLET.tgz" -C "$WORK" && mv "$WORK/package" "$WORK/leaflet"
tar xzf "$WORK/leaflet.markercluster-$CLUSTER.tgz" -C "$WORK" && mv "$WORK/package" "$WORK/cluster"
cp "$WORK/leaflet/dist/leaflet.js" "$WORK/leaflet/dist/leaflet.css" .
cp "$WORK/leaflet/LICENSE" LICENSE-leaflet
cp "$WORK/cluster/dist/leaflet.markercluster.js" "$WORK/cluster/dist/MarkerCluster.css" "$WORK/cluster/dist/MarkerCluster.Default.css" .
cp "$WORK/cluster/MIT-LICENCE.txt" LICENSE-markercluster 2>/dev/null || cp "$WORK/cluster/LICENSE"* LICENSE-markercluster
# The source maps are not shipped: drop their references.
sed -i '/sourceMappingURL/d' leaflet.js leaflet.markercluster.js
printf 'leaflet %s\nleaflet.markercluster %s\n' "$LEAFLET" "$CLUSTER" > VERSIONS
echo "Leaflet $LEAFLET and Leaflet.markercluster $CLUSTER vendored."
