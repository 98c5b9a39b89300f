//! Points on the map and the boxes asked of it: a latitude and a longitude in range, typed by hand
//! or placed with the map picker; a `bbox=minlon,minlat,maxlon,maxlat` as GeoJSON writes it.

use serde::Serialize;

/// A point on the Earth, in degrees (WGS 84): latitude in [-90, 90], longitude in [-180, 180].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Point {
    pub lat: f64,
    pub lon: f64,
}

impl Point {
    pub fn new(lat: f64, lon: f64) -> Option<Self> {
        ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)).then_some(Self { lat, lon })
    }

    /// Typed in a form: a latitude and a longitude, with a point or a comma as the decimal
    /// separator. Both empty: `Ok(None)`; one of them missing, not a number or out of range: `Err`.
    pub fn parse(lat: &str, lon: &str) -> Result<Option<Self>, PointError> {
        let (lat, lon) = (lat.trim(), lon.trim());
        if lat.is_empty() && lon.is_empty() {
            return Ok(None);
        }
        let number = |s: &str| s.replace(',', ".").parse::<f64>().ok().filter(|x| x.is_finite());
        let (Some(la), Some(lo)) = (number(lat), number(lon)) else { return Err(PointError::NotNumbers) };
        Self::new(la, lo).map(Some).ok_or(PointError::OutOfRange)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PointError {
    NotNumbers,
    OutOfRange,
}

/// A box on the map: west, south, east, north.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BBox {
    pub min_lon: f64,
    pub min_lat: f64,
    pub max_lon: f64,
    pub max_lat: f64,
}

impl BBox {
    /// The whole world.
    pub const WORLD: BBox = BBox { min_lon: -180.0, min_lat: -90.0, max_lon: 180.0, max_lat: 90.0 };

    /// `minlon,minlat,maxlon,maxlat`: four numbers in range, the minimum below the maximum. A box
    /// that spans the antimeridian is not asked for by our map, and refused.
    pub fn parse(s: &str) -> Option<Self> {
        let n: Vec<f64> =
            s.split(',').map(|x| x.trim().parse::<f64>().ok().filter(|v| v.is_finite())).collect::<Option<_>>()?;
        let [min_lon, min_lat, max_lon, max_lat] = n[..] else { return None };
        let b = BBox { min_lon, min_lat, max_lon, max_lat };
        (Point::new(min_lat, min_lon).is_some()
            && Point::new(max_lat, max_lon).is_some()
            && min_lon < max_lon
            && min_lat < max_lat)
            .then_some(b)
    }

    /// From the region's settings `[min lon, min lat, max lon, max lat]`.
    pub fn from_slice(v: &[f64]) -> Option<Self> {
        let [min_lon, min_lat, max_lon, max_lat] = v[..] else { return None };
        Self::parse(&format!("{min_lon},{min_lat},{max_lon},{max_lat}"))
    }

    pub fn contains(&self, p: Point) -> bool {
        (self.min_lon..=self.max_lon).contains(&p.lon) && (self.min_lat..=self.max_lat).contains(&p.lat)
    }

    pub fn centre(&self) -> Point {
        Point { lat: (self.min_lat + self.max_lat) / 2.0, lon: (self.min_lon + self.max_lon) / 2.0 }
    }

    pub fn to_array(self) -> [f64; 4] {
        [self.min_lon, self.min_lat, self.max_lon, self.max_lat]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_point_is_two_numbers_in_range() {
        assert_eq!(Point::parse("45,19", "5.72"), Ok(Some(Point { lat: 45.19, lon: 5.72 })));
        assert_eq!(Point::parse(" ", ""), Ok(None));
        assert_eq!(Point::parse("200", "5"), Err(PointError::OutOfRange));
        assert_eq!(Point::parse("45", "-181"), Err(PointError::OutOfRange));
        assert_eq!(Point::parse("quarante-cinq", "5"), Err(PointError::NotNumbers));
        assert_eq!(Point::parse("45", ""), Err(PointError::NotNumbers));
        assert_eq!(Point::parse("NaN", "inf"), Err(PointError::NotNumbers));
    }

    #[test]
    fn a_bbox_is_four_ordered_numbers_in_range() {
        let b = BBox::parse("5.1,44.9,6.2,45.5").unwrap();
        assert!(b.contains(Point { lat: 45.19, lon: 5.72 }));
        assert!(!b.contains(Point { lat: 48.85, lon: 2.35 }));
        assert_eq!(BBox::parse("-180,-90,180,90"), Some(BBox::WORLD));
        assert_eq!(BBox::parse("6.2,44.9,5.1,45.5"), None, "inverted");
        assert_eq!(BBox::parse("5,44,6"), None);
        assert_eq!(BBox::parse("a,b,c,d"), None);
        assert_eq!(BBox::parse("5,44,6,95"), None);
        assert_eq!(BBox::parse("5,44,6,45,7"), None);
    }
}
