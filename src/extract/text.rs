//! Markup to readable text, keeping paragraph breaks.

use dom_query::Document;

/// HTML (a fragment or a page) to text with one blank line between blocks.
/// Scripts, styles and other non-content elements are dropped.
pub fn html_to_text(html: &str) -> String {
    if !html.contains('<') && !html.contains('&') {
        return normalize_paragraphs(html);
    }
    // Feed content is anyone's markup, as pages are, and parsing it costs
    // as much: 200,000 nested divs in one item's description held a
    // refresh for two and a half minutes. Past the page limits the words
    // are kept without the markup, in one linear pass.
    let bare = super::prestrip::without_scripts(html);
    if let Err(e) = super::shape::check(&bare) {
        tracing::warn!(reason = %e, "markup dropped unparsed; keeping its words");
        return normalize_paragraphs(&words_only(&bare));
    }
    let doc = Document::from(html);
    doc.select("script, style, noscript, template, iframe, svg, form, button")
        .remove();
    normalize_paragraphs(&doc.formatted_text())
}

/// The text between the tags, each tag a line break, entities decoded.
fn words_only(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let after = &rest[lt + 1..];
        let is_tag = after
            .bytes()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || matches!(c, b'/' | b'!' | b'?'));
        if !is_tag {
            out.push('<');
            rest = after;
            continue;
        }
        out.push('\n');
        rest = after.find('>').map_or("", |gt| &after[gt + 1..]);
    }
    out.push_str(rest);
    html_escape::decode_html_entities(&out).into_owned()
}

/// Collapses runs of spaces inside paragraphs, keeps single blank lines
/// between them and drops invisible format characters (`visible`).
pub fn normalize_paragraphs(text: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    for para in text.split('\n') {
        let p = visible(para)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if !p.is_empty() {
            out.push(p);
        }
    }
    out.join("\n\n")
}

/// Text without invisible format characters: soft hyphens, zero-width
/// joiners, direction marks and isolates, word joiners, byte-order marks; a
/// zero-width space becomes a space, since it parts two words. Wire copy
/// carries them mid-sentence ("convicted by a federal jury \u{200c}on
/// Thursday"), where a mail client may show a gap or a box; in the Latin
/// text of news they carry nothing, and an emoji sequence that a joiner held
/// together still shows as its parts.
pub fn visible(text: &str) -> std::borrow::Cow<'_, str> {
    let invisible = |c: char| matches!(c, '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}');
    if !text.contains(invisible) {
        return text.into();
    }
    text.chars()
        .filter_map(|c| match c {
            '\u{200b}' => Some(' '),
            c if invisible(c) => None,
            c => Some(c),
        })
        .collect::<String>()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_characters_go_and_words_stay_apart() {
        let t = html_to_text(
            "<p>a federal jury \u{200c}on Thursday, the tech \u{200d}giant\u{2060}\u{ad}.</p><p>\u{feff} \u{200b}</p><p>Next\u{200b}one\u{2066}.</p>",
        );
        assert_eq!(
            t,
            "a federal jury on Thursday, the tech giant.\n\nNext one."
        );
    }

    #[test]
    fn keeps_paragraphs_and_drops_scripts() {
        let t = html_to_text(
            "<p>One  <b>bold</b>\n word.</p><script>var x=1;</script><p>Two &amp; three.</p>",
        );
        assert_eq!(t, "One bold word.\n\nTwo & three.");
    }

    #[test]
    fn markup_past_the_page_limits_keeps_its_words() {
        let deep = format!(
            "<p>Shares &amp; bonds</p>{}rose a < b{}",
            "<div>".repeat(5000),
            "</div>".repeat(5000)
        );
        assert_eq!(html_to_text(&deep), "Shares & bonds\n\nrose a < b");
    }

    #[test]
    fn plain_text_passes_through() {
        assert_eq!(html_to_text("just   text"), "just text");
    }
}
