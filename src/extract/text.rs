//! Markup to readable text, keeping paragraph breaks.

use dom_query::Document;

/// HTML (a fragment or a page) to text with one blank line between blocks.
/// Scripts, styles and other non-content elements are dropped.
pub fn html_to_text(html: &str) -> String {
    if !html.contains('<') && !html.contains('&') {
        return normalize_paragraphs(html);
    }
    let doc = Document::from(html);
    doc.select("script, style, noscript, template, iframe, svg, form, button")
        .remove();
    normalize_paragraphs(&doc.formatted_text())
}

/// Collapses runs of spaces inside paragraphs and keeps single blank lines
/// between them.
pub fn normalize_paragraphs(text: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    for para in text.split('\n') {
        let p = para.split_whitespace().collect::<Vec<_>>().join(" ");
        if !p.is_empty() {
            out.push(p);
        }
    }
    out.join("\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_paragraphs_and_drops_scripts() {
        let t = html_to_text(
            "<p>One  <b>bold</b>\n word.</p><script>var x=1;</script><p>Two &amp; three.</p>",
        );
        assert_eq!(t, "One bold word.\n\nTwo & three.");
    }

    #[test]
    fn plain_text_passes_through() {
        assert_eq!(html_to_text("just   text"), "just text");
    }
}
