//! Where each table and key sits in the config text. The `toml::Value` that
//! is deserialised keeps no spans once the environment has been merged into
//! it, so the text is parsed a second time into toml's spanned tree, which
//! knows every key's place, and the failing key is looked up there by path.

use std::collections::HashMap;
use std::ops::Range;
use toml::de::{DeTable, DeValue};

/// Line numbers (1-based) by the path serde reports, e.g. `pick.per_section`,
/// or `feeds[2]` for the third `[[feeds]]` header.
#[derive(Debug, Default)]
pub(super) struct KeyLines {
    lines: HashMap<String, usize>,
}

impl KeyLines {
    /// Text that does not parse has no lines to give; its own error has them.
    pub(super) fn scan(text: &str) -> Self {
        let mut index = Self::default();
        if let Ok(root) = DeTable::parse(text) {
            index.table(text, "", root.get_ref());
        }
        index
    }

    fn table(&mut self, text: &str, prefix: &str, table: &DeTable<'_>) {
        for (key, value) in table.iter() {
            let path = if prefix.is_empty() {
                key.get_ref().to_string()
            } else {
                format!("{prefix}.{}", key.get_ref())
            };
            self.note(&path, text, key.span());
            self.value(text, &path, value.get_ref());
        }
    }

    fn value(&mut self, text: &str, path: &str, value: &DeValue<'_>) {
        match value {
            DeValue::Table(table) => self.table(text, path, table),
            DeValue::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let path = format!("{path}[{i}]");
                    // An entry of an array of tables spans its `[[...]]` header.
                    self.note(&path, text, item.span());
                    self.value(text, &path, item.get_ref());
                }
            }
            _ => {}
        }
    }

    fn note(&mut self, path: &str, text: &str, span: Range<usize>) {
        let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
        self.lines.entry(path.to_string()).or_insert(line);
    }

    /// The line of `path`, or of the nearest enclosing table or key that is
    /// written out (a key left to its default, an entry missing a field).
    pub(super) fn find(&self, path: &str) -> Option<usize> {
        let mut path = path;
        loop {
            if let Some(line) = self.lines.get(path) {
                return Some(*line);
            }
            path = parent(path)?;
        }
    }
}

/// `feeds[2].url` → `feeds[2]` → `feeds` → none.
fn parent(path: &str) -> Option<&str> {
    let cut = path.rfind(['.', '['])?;
    Some(&path[..cut])
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"# a comment = not a key
[newsletter]
name = "T"  # trailing comment

[pick]
per_section = 5

[[feeds]]
url = "a.xml"

[[feeds]]  # the second
name = "B"
description = """
url = "inside a string"
"""

[[feeds]]
url = "c.xml"
"quoted.key" = 1

[fetch]
allow_private_hosts = [
  "a",
]
"#;

    #[test]
    fn sections_keys_and_array_entries_have_their_lines() {
        let lines = KeyLines::scan(TEXT);
        assert_eq!(lines.find("newsletter"), Some(2));
        assert_eq!(lines.find("newsletter.name"), Some(3));
        assert_eq!(lines.find("pick.per_section"), Some(6));
        assert_eq!(lines.find("feeds[0]"), Some(8));
        assert_eq!(lines.find("feeds[0].url"), Some(9));
        assert_eq!(lines.find("feeds[1]"), Some(11));
        assert_eq!(lines.find("feeds[2]"), Some(17));
        assert_eq!(lines.find("feeds[2].url"), Some(18));
        assert_eq!(lines.find("feeds[2].quoted.key"), Some(19));
        assert_eq!(lines.find("fetch.allow_private_hosts"), Some(22));
    }

    #[test]
    fn a_key_inside_a_multiline_string_is_text() {
        let lines = KeyLines::scan(TEXT);
        // feeds[1] has no url of its own: its header is the nearest place.
        assert_eq!(lines.find("feeds[1].url"), Some(11));
    }

    #[test]
    fn a_missing_key_falls_back_to_its_table() {
        let lines = KeyLines::scan(TEXT);
        assert_eq!(lines.find("pick.window_days"), Some(5));
        assert_eq!(lines.find("fetch.allow_private_hosts[1]"), Some(22));
        assert_eq!(lines.find("smtp.host"), None);
        assert_eq!(lines.find("subscribers[0].email"), None);
    }

    #[test]
    fn inline_tables_and_array_items_have_their_own_lines() {
        let text =
            "[fetch]\nallow_private_hosts = [\n  \"a\",\n  5,\n]\npick = {\n  per_section = 2 }\n";
        let lines = KeyLines::scan(text);
        assert_eq!(lines.find("fetch.allow_private_hosts[1]"), Some(4));
        assert_eq!(lines.find("fetch.pick.per_section"), Some(7));
    }

    #[test]
    fn text_that_does_not_parse_has_no_lines() {
        assert_eq!(KeyLines::scan("[pick\nper_section = 1").find("pick"), None);
    }

    #[test]
    fn dotted_keys_and_subtables_of_array_entries() {
        let text = "pick.per_section = 2\n[[feeds]]\nurl = \"a\"\n[feeds.extra]\nx = 1\n";
        let lines = KeyLines::scan(text);
        assert_eq!(lines.find("pick.per_section"), Some(1));
        assert_eq!(lines.find("feeds[0].extra.x"), Some(5));
    }
}
