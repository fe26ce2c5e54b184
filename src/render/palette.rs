//! The email's colours, light and dark, in one place so a test can hold every
//! pairing to a contrast floor. The templates' CSS reads them from here.
//!
//! Why two palettes and not one: Apple Mail, iOS Mail and Outlook.com honour
//! `prefers-color-scheme` (or Outlook's `[data-ogsc]` hook) and get the dark
//! one; Gmail's apps and Outlook for Windows ignore both and invert the light
//! one themselves. The light palette therefore avoids pure white and pure
//! black, so an automatic inversion lands on soft greys rather than glare, and
//! every element that carries text also carries its own background, so a
//! partial inversion never leaves dark text on a darkened block.

/// One colour scheme. Every text colour is read on `card`.
#[derive(Debug, Clone, Copy)]
pub struct Palette {
    /// Around the card.
    pub page: &'static str,
    /// The card the edition sits on.
    pub card: &'static str,
    /// Headlines.
    pub heading: &'static str,
    /// Summaries and the intro.
    pub body: &'static str,
    /// Dates, sources, footer.
    pub muted: &'static str,
    /// Section headers and links.
    pub accent: &'static str,
    /// Hairlines.
    pub rule: &'static str,
}

pub const LIGHT: Palette = Palette {
    page: "#eef0f3",
    card: "#fdfdfd",
    heading: "#111827",
    body: "#1f2937",
    muted: "#4b5563",
    accent: "#1d4ed8",
    rule: "#d9dde3",
};

pub const DARK: Palette = Palette {
    page: "#0d1117",
    card: "#171c24",
    heading: "#f2f4f7",
    body: "#dfe3e8",
    muted: "#a7b0bc",
    accent: "#8cb4ff",
    rule: "#2e3643",
};

impl Palette {
    /// The text colours, each with what it is used for.
    pub fn text_colours(&self) -> [(&'static str, &'static str); 4] {
        [
            ("heading", self.heading),
            ("body", self.body),
            ("muted", self.muted),
            ("accent", self.accent),
        ]
    }

    /// Every colour the palette defines.
    pub fn all(&self) -> [&'static str; 7] {
        [
            self.page,
            self.card,
            self.heading,
            self.body,
            self.muted,
            self.accent,
            self.rule,
        ]
    }
}

/// WCAG 2 contrast ratio between two `#rrggbb` colours (1 to 21).
pub fn contrast(a: &str, b: &str) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    let (hi, lo) = if la > lb { (la, lb) } else { (lb, la) };
    (hi + 0.05) / (lo + 0.05)
}

fn luminance(hex: &str) -> f64 {
    let hex = hex.trim_start_matches('#');
    let channel = |i: usize| {
        let v = u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or(0) as f64 / 255.0;
        if v <= 0.03928 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contrast_matches_known_values() {
        assert!((contrast("#000000", "#ffffff") - 21.0).abs() < 1e-9);
        assert!((contrast("#777777", "#ffffff") - 4.48).abs() < 0.01);
    }

    /// WCAG AA for body text (4.5) in both schemes; headings and body text
    /// are held to AAA (7).
    #[test]
    fn every_text_colour_is_readable_on_the_card_in_both_schemes() {
        for (scheme, p) in [("light", LIGHT), ("dark", DARK)] {
            for (what, colour) in p.text_colours() {
                let ratio = contrast(colour, p.card);
                let floor = if matches!(what, "heading" | "body") {
                    7.0
                } else {
                    4.5
                };
                assert!(
                    ratio >= floor,
                    "{scheme} {what} {colour} on {}: {ratio:.2}",
                    p.card
                );
            }
        }
    }

    /// Clients that invert on their own handle soft colours better than the
    /// extremes, and the card must stand apart from the page in both schemes.
    #[test]
    fn the_light_scheme_avoids_pure_white_and_black_and_cards_stand_out() {
        for c in LIGHT.all() {
            assert!(!matches!(c, "#ffffff" | "#000000"), "{c}");
        }
        for p in [LIGHT, DARK] {
            assert!(contrast(p.page, p.card) > 1.05, "{} vs {}", p.page, p.card);
        }
    }
}
