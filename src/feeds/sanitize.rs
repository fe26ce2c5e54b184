//! Markup in feed titles, made safe the way lenient feed readers present it:
//! scripts, applets and styles go with their contents; other active or
//! framing elements go but keep their text; event-handler attributes go.

use regex::Regex;
use std::sync::LazyLock;

const DROP_WITH_CONTENT: &[&str] = &["script", "applet", "style", "noscript", "template"];
const DROP_TAG: &[&str] = &[
    "blink", "marquee", "embed", "iframe", "object", "param", "frameset", "frame", "noframes",
    "link", "meta", "base", "form", "input", "button", "textarea", "select", "option", "html",
    "head", "body", "title", "xml",
];
const VOID: &[&str] = &["img", "br", "hr", "area", "col", "source", "wbr"];

static ATTR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"([^\s=/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?"#)
        .expect("static regex")
});

/// Sanitizes an HTML fragment. Text without `<` comes back unchanged.
pub fn sanitize_inline_html(s: &str) -> String {
    if !s.contains(['<', '>', '&']) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(lt) = rest.find('<') {
        push_text(&mut out, &rest[..lt]);
        rest = &rest[lt..];
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.find("-->").map_or("", |e| &after[e + 3..]);
            continue;
        }
        if rest.starts_with("<!") || rest.starts_with("<?") {
            rest = rest.find('>').map_or("", |e| &rest[e + 1..]);
            continue;
        }
        let Some(gt) = rest.find('>') else {
            out.push_str("&lt;");
            rest = &rest[1..];
            continue;
        };
        let tag = &rest[1..gt];
        rest = &rest[gt + 1..];
        let closing = tag.starts_with('/');
        let body = tag.trim_start_matches('/');
        let name: String = body
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '-'))
            .collect::<String>()
            .to_ascii_lowercase();
        if name.is_empty() {
            out.push_str("&lt;");
            out.push_str(tag);
            out.push_str("&gt;");
            continue;
        }
        if DROP_WITH_CONTENT.contains(&name.as_str()) {
            if !closing && !body.trim_end().ends_with('/') {
                let close = format!("</{name}");
                let lower = rest.to_ascii_lowercase();
                rest = match lower.find(&close) {
                    Some(i) => rest[i..].find('>').map_or("", |e| &rest[i + e + 1..]),
                    None => "",
                };
            }
            continue;
        }
        if DROP_TAG.contains(&name.as_str()) {
            continue;
        }
        if closing {
            out.push_str(&format!("</{name}>"));
            continue;
        }
        out.push('<');
        out.push_str(&name);
        for a in ATTR.captures_iter(&body[name.len()..]) {
            let key = a[1].to_ascii_lowercase();
            if key.starts_with("on") || key == "/" {
                continue;
            }
            let value = a
                .get(2)
                .or(a.get(3))
                .or(a.get(4))
                .map_or(key.as_str(), |m| m.as_str());
            if matches!(key.as_str(), "href" | "src")
                && value
                    .trim_start()
                    .to_ascii_lowercase()
                    .starts_with("javascript:")
            {
                continue;
            }
            out.push_str(&format!(" {key}=\"{}\"", escape_attr(value)));
        }
        out.push_str(
            if VOID.contains(&name.as_str()) || body.trim_end().ends_with('/') {
                " />"
            } else {
                ">"
            },
        );
    }
    push_text(&mut out, rest);
    out
}

/// Text between tags, escaped as serializers write it: `>` and any `&` that
/// starts no reference.
fn push_text(out: &mut String, text: &str) {
    out.push_str(
        &escape_attr(text)
            .replace("&quot;", "\"")
            .replace('>', "&gt;"),
    );
}

/// An attribute value with bare `&` and quotes escaped; existing references stay.
fn escape_attr(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for (i, c) in value.char_indices() {
        match c {
            '&' => {
                let tail = &value[i + 1..];
                let is_ref = tail.find(';').is_some_and(|e| {
                    e > 0
                        && e < 12
                        && tail[..e]
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '#')
                });
                out.push_str(if is_ref { "&" } else { "&amp;" });
            }
            '"' => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn active_content_goes() {
        assert_eq!(
            sanitize_inline_html("safe<script>alert(1)</script> description"),
            "safe description"
        );
        assert_eq!(
            sanitize_inline_html("<blink>safe</blink> description"),
            "safe description"
        );
        assert_eq!(
            sanitize_inline_html("safe<iframe src=\"x\"></iframe> description"),
            "safe description"
        );
        assert_eq!(
            sanitize_inline_html("<img src=\"a.jpg\" onerror=\"location.href='x'\">"),
            "<img src=\"a.jpg\" />"
        );
        assert_eq!(
            sanitize_inline_html("<a href='javascript:evil()'>x</a>"),
            "<a>x</a>"
        );
    }

    #[test]
    fn ordinary_markup_and_text_stay() {
        assert_eq!(
            sanitize_inline_html("Example <b>Atom</b>"),
            "Example <b>Atom</b>"
        );
        assert_eq!(sanitize_inline_html("AT&amp;T"), "AT&amp;T");
        assert_eq!(
            sanitize_inline_html("Q&A \"session\""),
            "Q&amp;A \"session\""
        );
        assert_eq!(sanitize_inline_html("1 < 2"), "1 &lt; 2");
        assert_eq!(
            sanitize_inline_html("<a title=\"&\">a > b</a>"),
            "<a title=\"&amp;\">a &gt; b</a>"
        );
    }
}
