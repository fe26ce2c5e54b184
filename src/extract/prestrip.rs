//! Drops scripts, styles and comments from a page before it is parsed. On
//! news pages they are most of the bytes (about two thirds on the extraction
//! corpus), never part of the article, and the HTML tokenizer would otherwise
//! walk every one of them character by character.
//!
//! The scan follows the tokenizer's own rule for raw text: a `<script>` ends
//! at the first `</script`, whatever the script says in between.

use std::borrow::Cow;

const RAW_TEXT: [&[u8]; 2] = [b"script", b"style"];

pub fn without_scripts(html: &str) -> Cow<'_, str> {
    let bytes = html.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut at = 0;
    while let Some(offset) = memchr::memchr(b'<', &bytes[at..]) {
        let start = at + offset;
        let rest = &bytes[start..];
        let end = if rest.starts_with(b"<!--") {
            find(bytes, start + 4, b"-->").map_or(bytes.len(), |e| e + 3)
        } else if let Some(name) = RAW_TEXT.iter().find(|n| opens(rest, n)) {
            closing(bytes, start + 1 + name.len(), name)
        } else {
            at = start + 1;
            continue;
        };
        let kept = out.get_or_insert_with(|| String::with_capacity(html.len() / 2));
        kept.push_str(&html[copied..start]);
        // Keep the words on either side apart.
        kept.push(' ');
        copied = end;
        at = end;
    }
    match out {
        None => Cow::Borrowed(html),
        Some(mut kept) => {
            kept.push_str(&html[copied..]);
            Cow::Owned(kept)
        }
    }
}

/// `<name` followed by the end of the tag name.
fn opens(rest: &[u8], name: &[u8]) -> bool {
    rest.len() > name.len() + 1
        && rest[1..=name.len()].eq_ignore_ascii_case(name)
        && matches!(
            rest[name.len() + 1],
            b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'>' | b'/'
        )
}

/// Where the element opened before `from` ends: past the `>` of its `</name`
/// tag, or at the end of the document when it is never closed.
fn closing(bytes: &[u8], from: usize, name: &[u8]) -> usize {
    let mut at = from;
    while let Some(lt) = find(bytes, at, b"</") {
        let tag = &bytes[lt + 2..];
        if tag.len() >= name.len() && tag[..name.len()].eq_ignore_ascii_case(name) {
            return find(bytes, lt + 2 + name.len(), b">").map_or(bytes.len(), |gt| gt + 1);
        }
        at = lt + 2;
    }
    bytes.len()
}

fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(bytes.get(from..)?, needle).map(|i| from + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_scripts_styles_and_comments_only() {
        let html = "<p>One</p><SCRIPT type=\"x\">if (a < b) { s = '<p>no</p>'; }</script ><style>p{}</style><!-- <p>gone</p> --><p>Two</p><scripts>kept</scripts>";
        assert_eq!(
            without_scripts(html),
            "<p>One</p>   <p>Two</p><scripts>kept</scripts>"
        );
    }

    #[test]
    fn an_unclosed_script_runs_to_the_end_and_plain_pages_are_borrowed() {
        assert_eq!(without_scripts("<p>A</p><script>x"), "<p>A</p> ");
        assert!(matches!(without_scripts("<p>a < b</p>"), Cow::Borrowed(_)));
        assert_eq!(without_scripts("<!-- open"), " ");
        assert_eq!(without_scripts("<script"), "<script");
    }
}
