use std::fmt;

/// A subscriber's display name, safe to put in a `To:` header and a page.
///
/// Every edge (CLI, API, CSV, sign-up form, config) and every read from the
/// store goes through `parse`, so a line break can never become a header
/// and no stored value can make a message fail to render.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SubscriberName(String);

impl SubscriberName {
    /// At most this many characters are kept; the sign-up form cuts there
    /// too, and it keeps the `To:` line far below RFC 5322's 998 octets even
    /// once non-ASCII is encoded.
    pub const MAX_CHARS: usize = 100;

    /// Control characters (C0, DEL, C1) and the Unicode line and paragraph
    /// separators become spaces, runs of whitespace become one space, and
    /// the result is trimmed and cut. `None` when nothing is left: an empty
    /// name is no name.
    pub fn parse(input: &str) -> Option<Self> {
        let mut out = String::with_capacity(input.len().min(Self::MAX_CHARS * 4));
        let mut chars = 0;
        let mut pending_space = false;
        for c in input.chars() {
            if is_breaking(c) || c.is_whitespace() {
                pending_space = !out.is_empty();
                continue;
            }
            if chars + usize::from(pending_space) >= Self::MAX_CHARS {
                break;
            }
            if pending_space {
                out.push(' ');
                chars += 1;
                pending_space = false;
            }
            out.push(c);
            chars += 1;
        }
        (!out.is_empty()).then_some(Self(out))
    }

    /// `parse` for an optional input, the shape every edge has.
    pub fn parse_opt(input: Option<&str>) -> Option<Self> {
        input.and_then(Self::parse)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Characters that must never reach a header: they end a line there or
/// are invisible controls.
fn is_breaking(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{85}')
}

impl fmt::Display for SubscriberName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl serde::Serialize for SubscriberName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Option<String> {
        SubscriberName::parse(s).map(SubscriberName::into_string)
    }

    #[test]
    fn line_breaks_and_controls_become_single_spaces() {
        assert_eq!(
            p("Eve\r\nBcc: x@evil.example").as_deref(),
            Some("Eve Bcc: x@evil.example")
        );
        assert_eq!(
            p("a\u{0}b\u{7f}c\u{9b}d\u{2028}e").as_deref(),
            Some("a b c d e")
        );
        assert_eq!(p("  Ada \t  Lovelace \n").as_deref(), Some("Ada Lovelace"));
    }

    #[test]
    fn nothing_left_is_no_name() {
        assert_eq!(p(""), None);
        assert_eq!(p(" \r\n\t\u{1b} "), None);
    }

    #[test]
    fn long_names_are_cut_to_a_hundred_characters_without_a_trailing_space() {
        let long = "é".repeat(5000);
        assert_eq!(p(&long).unwrap().chars().count(), 100);
        let words = "ab ".repeat(60);
        let cut = p(&words).unwrap();
        assert!(cut.chars().count() <= 100 && !cut.ends_with(' '), "{cut}");
    }

    #[test]
    fn ordinary_names_are_kept_as_written() {
        assert_eq!(
            p("José Ñúñez-O'Brien").as_deref(),
            Some("José Ñúñez-O'Brien")
        );
        assert_eq!(p("\"Ada\" <ada>").as_deref(), Some("\"Ada\" <ada>"));
    }
}
