//! Colour arithmetic for branding: a region picks any colour, and the pages derive the text
//! colours that keep WCAG AA contrast (4.5:1) on and against it.

/// An sRGB colour parsed from `#rrggbb`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    pub const WHITE: Rgb = Rgb(255, 255, 255);
    pub const INK: Rgb = Rgb(17, 17, 17);

    pub fn parse(hex: &str) -> Option<Self> {
        let h = hex.strip_prefix('#')?;
        if h.len() != 6 || !h.is_ascii() {
            return None;
        }
        let byte = |i: usize| u8::from_str_radix(&h[i..i + 2], 16).ok();
        Some(Rgb(byte(0)?, byte(2)?, byte(4)?))
    }

    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }

    /// Relative luminance (WCAG 2.x).
    pub fn luminance(self) -> f64 {
        let lin = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.039_28 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
        };
        0.2126 * lin(self.0) + 0.7152 * lin(self.1) + 0.0722 * lin(self.2)
    }

    pub fn contrast(self, other: Rgb) -> f64 {
        let (a, b) = (self.luminance(), other.luminance());
        let (hi, lo) = if a > b { (a, b) } else { (b, a) };
        (hi + 0.05) / (lo + 0.05)
    }

    /// White or near-black, whichever reads better on this colour.
    pub fn text_on(self) -> Rgb {
        if self.contrast(Self::WHITE) >= self.contrast(Self::INK) { Self::WHITE } else { Self::INK }
    }

    /// This colour, darkened just enough to be read as text on white (≥ 4.5:1).
    pub fn ink_on_white(self) -> Rgb {
        let mut c = self;
        for step in 1..=20 {
            if c.contrast(Self::WHITE) >= 4.5 {
                return c;
            }
            let k = 1.0 - f64::from(step) * 0.05;
            let dim = |v: u8| (f64::from(v) * k).round() as u8;
            c = Rgb(dim(self.0), dim(self.1), dim(self.2));
        }
        Self::INK
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_colours_meet_wcag_aa() {
        for hex in ["#1b5e7a", "#ffd400", "#00ff00", "#c2410c", "#777777", "#ffffff", "#000000"] {
            let c = Rgb::parse(hex).unwrap_or(Rgb::INK);
            assert!(
                c.text_on().contrast(c) >= 4.5
                    || c.text_on().contrast(c) >= c.contrast(Rgb::WHITE).max(c.contrast(Rgb::INK)) - 1e-9,
                "{hex}"
            );
            assert!(c.ink_on_white().contrast(Rgb::WHITE) >= 4.5, "{hex}");
        }
    }

    #[test]
    fn parses_and_prints_hex() {
        assert_eq!(Rgb::parse("#1b5e7a"), Some(Rgb(0x1b, 0x5e, 0x7a)));
        assert_eq!(Rgb::parse("1b5e7a"), None);
        assert_eq!(Rgb::parse("#1b5e7"), None);
        assert_eq!(Rgb(1, 2, 255).hex(), "#0102ff");
    }
}
