//! Making real-world feeds parseable. Two tiers:
//! - `normalize` always runs and is cheap: a BOM or whitespace before the
//!   XML declaration, and Atom 0.3 (still served) upgraded to Atom 1.0
//!   names so feed-rs reads its entries;
//! - `repair` runs only when feed-rs rejects a document. It rebuilds the
//!   document the way lenient parsers read it and reports what it changed.

use regex::Regex;
use std::borrow::Cow;
use std::sync::LazyLock;

const ATOM03_NS: &str = "http://purl.org/atom/ns#";
const ATOM10_NS: &str = "http://www.w3.org/2005/Atom";

static ATOM03_PUBLISHED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"<(/?)((?:[A-Za-z][\w.-]*:)?)(issued|created)(?-u:\b)").expect("static regex")
});
static ATOM03_UPDATED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"<(/?)((?:[A-Za-z][\w.-]*:)?)modified(?-u:\b)").expect("static regex")
});

/// Cheap fixes that apply to documents feed-rs would otherwise misread:
/// leading junk, any charset other than UTF-8 (feed-rs reads only UTF-8
/// reliably), Atom 0.3, Atom text types feed-rs rejects, `<rss>` without a
/// version it knows, and RSS 1.0 items without a link. `charset` is the HTTP
/// Content-Type's, if any. Returns the document and what was changed.
pub fn normalize<'a>(body: &'a [u8], charset: Option<&str>) -> (Cow<'a, [u8]>, Vec<&'static str>) {
    let mut fixes = Vec::new();
    let body = trim_leading_junk(body);
    // From here on the text is valid UTF-8: either it was, or it was decoded.
    let mut text: Cow<'a, str> = match to_utf8(body, charset) {
        Some((utf8, fix)) => {
            fixes.push(fix);
            Cow::Owned(utf8)
        }
        None => match std::str::from_utf8(body) {
            Ok(t) => declare_utf8(t).map_or(Cow::Borrowed(t), Cow::Owned),
            Err(_) => Cow::Owned(String::from_utf8_lossy(body).into_owned()),
        },
    };
    if (text.contains("base64") || text.contains("octet-stream"))
        && (text.contains(ATOM03_NS) || text.contains(ATOM10_NS))
        && let Some(t) = decode_base64_texts(&text)
    {
        fixes.push("decoded base64 text");
        text = Cow::Owned(t);
    }
    if text.contains(ATOM03_NS) {
        fixes.push(UPGRADED_ATOM03);
        let t = text.replace(ATOM03_NS, ATOM10_NS);
        let t = ATOM03_PUBLISHED.replace_all(&t, "<$1${2}published");
        let t = ATOM03_UPDATED
            .replace_all(&t, "<$1${2}updated")
            .into_owned();
        text = Cow::Owned(t);
    }
    if text.contains(ATOM10_NS) && ATOM_NEEDS_TYPE_FIX.is_match(&text) {
        let t = ATOM_TYPED.replace_all(&text, atom_type).into_owned();
        text = Cow::Owned(t);
    }
    if text.contains("<dc:title")
        && let Some(t) = dc_title_fallback(&text)
    {
        text = Cow::Owned(t);
    }
    if let Some(t) = unprefix_rss(&text) {
        text = Cow::Owned(t);
    }
    if text.contains("xml:base")
        && let Some(t) = resolve_xml_base(&text)
    {
        text = Cow::Owned(t);
    }
    if let Some(t) = wrap_naked_markup(&text) {
        fixes.push("kept markup inside titles and descriptions");
        text = Cow::Owned(t);
    }
    if let Some(t) = fix_rss_version(&text) {
        text = Cow::Owned(t);
    }
    if text.contains(RSS1_NS)
        && let Some(t) = mark_linkless_rss1_items(&text)
    {
        text = Cow::Owned(t);
    }
    let bytes = match text {
        Cow::Borrowed(t) => Cow::Borrowed(t.as_bytes()),
        Cow::Owned(t) => Cow::Owned(t.into_bytes()),
    };
    (bytes, fixes)
}

/// An RSS item with `<dc:title>` but no `<title>` gets a title from it
/// (feed-rs does not read Dublin Core titles).
fn dc_title_fallback(text: &str) -> Option<String> {
    insert_into_items(text, |body| {
        if body.contains("<title") {
            return None;
        }
        let from = body.find("<dc:title>")? + "<dc:title>".len();
        let len = body[from..].find("</dc:title>")?;
        Some(format!("<title>{}</title>", &body[from..from + len]))
    })
}

/// Namespaces RSS has been published under. feed-rs reads RSS elements only
/// unprefixed and in no namespace (RSS 2.0) or the 1.0 one (RSS 1.0).
const RSS_NAMESPACES: &[&str] = &[
    "http://backend.userland.com/rss2",
    "http://backend.userland.com/rss",
    "http://purl.org/rss/1.0/",
    "http://my.netscape.com/rdf/simple/0.9/",
];

static NS_DECL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\sxmlns(?::([\w.-]+))?\s*=\s*["']([^"']*)["']"#).expect("static regex")
});

/// `<r:rss xmlns:r="…/rss2">`, `<rss xmlns="…/rss2">`, `<rss:item>` and RSS
/// 0.90's namespace become the plain forms feed-rs reads.
fn unprefix_rss(text: &str) -> Option<String> {
    let head = &text[..text.floor_char_boundary(4096)];
    if !RSS_NAMESPACES.iter().any(|ns| head.contains(ns)) {
        return None;
    }
    let mut out = text.to_string();
    let rdf = head.contains("rdf:RDF") || head.contains("<RDF");
    for c in NS_DECL.captures_iter(head) {
        let ns = &c[2];
        if !RSS_NAMESPACES.contains(&ns) {
            continue;
        }
        match c.get(1) {
            Some(prefix) => {
                let p = prefix.as_str();
                out = out
                    .replace(&format!("<{p}:"), "<")
                    .replace(&format!("</{p}:"), "</");
                out = out.replacen(&c[0], "", 1);
            }
            // RSS 1.0 is read in its own namespace; any other RSS namespace as none.
            None if rdf => out = out.replacen(&c[0], " xmlns=\"http://purl.org/rss/1.0/\"", 1),
            None => out = out.replacen(&c[0], "", 1),
        }
    }
    (out != text).then_some(out)
}

static XML_BASE_ATTR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"\sxml:base\s*=\s*["']([^"']*)["']"#).expect("static regex"));
static LINK_ATTR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(\s(?:href|src)\s*=\s*)(["'])([^"']*)(["'])"#).expect("static regex")
});

/// Makes relative `href` and `src` attributes absolute under the `xml:base`
/// in force (feed-rs does this for links, but not for markup inside a title
/// or summary). Only bases the document declares are used.
fn resolve_xml_base(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len() + 64);
    let mut stack: Vec<Option<url::Url>> = Vec::new();
    let mut rest = text;
    let mut changed = false;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        rest = &rest[lt..];
        for (open, close) in [
            ("<!--", "-->"),
            ("<![CDATA[", "]]>"),
            ("<?", "?>"),
            ("<!", ">"),
        ] {
            if rest.starts_with(open) {
                let n = rest.find(close).map_or(rest.len(), |e| e + close.len());
                out.push_str(&rest[..n]);
                rest = &rest[n..];
                break;
            }
        }
        if !rest.starts_with('<') {
            continue;
        }
        let Some(gt) = rest.find('>') else { break };
        let tag = &rest[..=gt];
        rest = &rest[gt + 1..];
        if tag.starts_with("</") {
            stack.pop();
            out.push_str(tag);
            continue;
        }
        let inherited = stack.iter().rev().find_map(|b| b.clone());
        let own = XML_BASE_ATTR.captures(tag).and_then(|c| match &inherited {
            Some(parent) => parent.join(&c[1]).ok(),
            None => url::Url::parse(&c[1]).ok(),
        });
        let base = own.clone().or(inherited);
        let new_tag = match &base {
            Some(b) if LINK_ATTR.is_match(tag) => LINK_ATTR
                .replace_all(tag, |c: &regex::Captures| {
                    let v = &c[3];
                    match url::Url::parse(v) {
                        Ok(_) => c[0].to_string(),
                        Err(_) => match b.join(v) {
                            Ok(abs) => {
                                changed = true;
                                format!("{}{}{}{}", &c[1], &c[2], abs, &c[4])
                            }
                            Err(_) => c[0].to_string(),
                        },
                    }
                })
                .into_owned(),
            _ => tag.to_string(),
        };
        out.push_str(&new_tag);
        if !tag.ends_with("/>") {
            stack.push(own);
        }
    }
    out.push_str(rest);
    changed.then_some(out)
}

/// Elements whose raw child markup feed-rs would drop (it keeps only the
/// first text node): their content is wrapped in CDATA so it survives as HTML.
const NAKED_MARKUP_IN: &[&str] = &["title", "description", "summary"];

fn wrap_naked_markup(text: &str) -> Option<String> {
    let mut out = String::new();
    let mut done = 0;
    let mut changed = false;
    for name in NAKED_MARKUP_IN {
        let open = format!("<{name}");
        let close = format!("</{name}>");
        let mut from = 0;
        while let Some(i) = text[from..].find(&open).map(|i| from + i) {
            from = i + open.len();
            let Some(gt) = text[from..].find('>').map(|g| from + g) else {
                break;
            };
            let attrs = &text[from..gt];
            if !(attrs.is_empty() || attrs.starts_with([' ', '\t', '\r', '\n']))
                || attrs.ends_with('/')
            {
                continue;
            }
            let Some(end) = text[gt..].find(&close).map(|e| gt + e) else {
                continue;
            };
            let inner = &text[gt + 1..end];
            let has_child = inner.contains('<') && !inner.trim_start().starts_with("<![CDATA[");
            if !has_child || attrs.contains("xhtml") || inner.contains("<![CDATA[") || i < done {
                continue;
            }
            out.push_str(&text[done..gt + 1]);
            out.push_str("<![CDATA[");
            out.push_str(&inner.replace("]]>", "]]]]><![CDATA[>"));
            out.push_str("]]>");
            done = end;
            changed = true;
            from = end;
        }
        if changed {
            // One element kind per pass keeps `done` monotonic.
            out.push_str(&text[done..]);
            return wrap_naked_markup(&out).or(Some(out));
        }
    }
    None
}

/// Reported when an Atom 0.3 document was read as Atom 1.0.
pub const UPGRADED_ATOM03: &str = "read Atom 0.3 as Atom 1.0";

static ATOM_TEXT_ELEMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"<((?:atom:)?(?:title|subtitle|summary|rights|content|tagline|copyright|info))(\s[^>]*)?>([^<]*)</")
        .expect("static regex")
});
static ATTR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?-u:\b)(type|mode)\s*=\s*["']([^"']*)["']"#).expect("static regex")
});

/// Atom 0.3's `mode="base64"`, and Atom 1.0 text in a non-text MIME type,
/// carry base64. Decoded, the text becomes html (or text, when typed so).
fn decode_base64_texts(text: &str) -> Option<String> {
    use base64::Engine;
    let mut changed = false;
    let out = ATOM_TEXT_ELEMENT.replace_all(text, |c: &regex::Captures| {
        let attrs = c.get(2).map_or("", |m| m.as_str());
        let mut ty = String::new();
        let mut mode = String::new();
        for a in ATTR.captures_iter(attrs) {
            match &a[1] {
                "type" => ty = a[2].trim().to_ascii_lowercase(),
                _ => mode = a[2].trim().to_ascii_lowercase(),
            }
        }
        let textual = ty.is_empty()
            || matches!(ty.as_str(), "text" | "html" | "xhtml")
            || ty.starts_with("text/")
            || ty.ends_with("+xml")
            || ty.ends_with("/xml");
        let encoded = mode == "base64" || !textual;
        let has_src = attrs.contains("src");
        let raw: String = c[3].split_whitespace().collect();
        let decoded = (encoded && !has_src)
            .then(|| {
                base64::engine::general_purpose::STANDARD
                    .decode(raw.as_bytes())
                    .ok()
            })
            .flatten()
            .and_then(|b| String::from_utf8(b).ok());
        match decoded {
            Some(d) => {
                changed = true;
                let new_type = if ty == "text/plain" || ty == "text" {
                    "text"
                } else {
                    "html"
                };
                let escaped = d
                    .replace('&', "&amp;")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;");
                format!("<{} type=\"{new_type}\">{escaped}</", &c[1])
            }
            None => c[0].to_string(),
        }
    });
    changed.then(|| out.into_owned())
}

/// feed-rs drops RSS 1.0 items that have no link; feedparser keeps them.
/// Such items get this link, which the parser removes again.
pub const MISSING_LINK: &str = "https://missing-link.invalid/";
const RSS1_NS: &str = "http://purl.org/rss/1.0/";

fn mark_linkless_rss1_items(text: &str) -> Option<String> {
    insert_into_items(text, |body| {
        (!body.contains("<link") && !body.contains(":link"))
            .then(|| format!("<link>{MISSING_LINK}</link>"))
    })
}

/// Walks the `<item>` elements with a plain scan (a lazy capturing regex over
/// whole documents was half of all parse time) and inserts, right after each
/// opening tag, whatever `insert` returns for that item's body.
fn insert_into_items(text: &str, mut insert: impl FnMut(&str) -> Option<String>) -> Option<String> {
    let mut out = String::with_capacity(text.len() + 256);
    let mut rest = text;
    let mut changed = false;
    while let Some(start) = find_item_open(rest) {
        let Some(open_end) = rest[start..].find('>').map(|e| start + e + 1) else {
            break;
        };
        out.push_str(&rest[..open_end]);
        if !rest[..open_end].ends_with("/>") {
            let close = rest[open_end..]
                .find("item>")
                .map_or(rest.len(), |e| open_end + e);
            if let Some(extra) = insert(&rest[open_end..close]) {
                out.push_str(&extra);
                changed = true;
            }
        }
        rest = &rest[open_end..];
    }
    out.push_str(rest);
    changed.then_some(out)
}

/// Start of the next `<item` or `<prefix:item` element (not `<items>`).
fn find_item_open(s: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = s[from..].find("item").map(|i| from + i) {
        let after = s[i + 4..].chars().next();
        let boundary = matches!(after, Some(' ' | '>' | '/' | '\t' | '\r' | '\n'));
        let before = &s[..i];
        let opens = before.ends_with('<')
            || before.rfind('<').is_some_and(|lt| {
                let p = &before[lt + 1..];
                p.ends_with(':')
                    && p[..p.len() - 1]
                        .chars()
                        .all(|c| c.is_alphanumeric() || c == '-' || c == '_' || c == '.')
                    && !p.starts_with('/')
            });
        if boundary && opens {
            return Some(before.rfind('<').expect("opens means a '<' before"));
        }
        from = i + 4;
    }
    None
}

/// Atom text constructs may only be text, html or xhtml for feed-rs, which
/// rejects the whole feed on anything else; Atom 0.3 and careless feeds use
/// MIME types ("text/plain", "application/xhtml+xml") or nothing at all.
static ATOM_TYPED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"<((?:atom:)?(?:title|subtitle|summary|rights|content|tagline|copyright|info))(\s[^>]*?)?\stype\s*=\s*(?:"([^"]*)"|'([^']*)')([^>]*)"#)
        .expect("static regex")
});

/// Capture-free, so it runs on the fast engine over the whole document:
/// does any text construct carry a type other than text, html or xhtml?
static ATOM_NEEDS_TYPE_FIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"<(?:atom:)?(?:title|subtitle|summary|rights|content|tagline|copyright|info)\s[^>]*(?-u:\b)type\s*=\s*["'](?:[^"'thx]|t[^e]|te[^x]|tex[^t]|text[^"']|h[^t]|ht[^m]|htm[^l]|html[^"']|x[^h]|xh[^t]|xht[^m]|xhtm[^l]|xhtml[^"']|["'])"#)
        .expect("static regex")
});

fn atom_type(c: &regex::Captures) -> String {
    let element = &c[1];
    let before = c.get(2).map_or("", |m| m.as_str());
    let value = c
        .get(3)
        .or(c.get(4))
        .map_or("", |m| m.as_str())
        .trim()
        .to_ascii_lowercase();
    let after = c.get(5).map_or("", |m| m.as_str());
    let is_content = element.ends_with("content");
    let has_src = before.contains("src") || after.contains("src");
    let mapped = match value.as_str() {
        // A content element pointing elsewhere must keep a MIME type.
        _ if is_content && has_src => value.clone(),
        "text" | "html" | "xhtml" => value.clone(),
        "text/plain" => "text".into(),
        "text/html" => "html".into(),
        "application/xhtml+xml" => "xhtml".into(),
        _ if is_content && (value.ends_with("+xml") || value.ends_with("/xml")) => value.clone(),
        _ => "text".into(),
    };
    format!("<{element}{before} type=\"{mapped}\"{after}")
}

static RSS_ROOT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"<rss(?-u:\b)([^>]*)>"#).expect("static regex"));
static VERSION_ATTR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?-u:\b)version\s*=\s*["']([^"']*)["']"#).expect("static regex")
});

/// feed-rs finds no feed in `<rss>` without a version, or with one it does
/// not know (0.93, 0.94, 2.01): read those as RSS 2.0, as feedparser does.
fn fix_rss_version(text: &str) -> Option<String> {
    // The root opens within the first few kilobytes (after the prolog and
    // comments); no need to search a whole document for it.
    let head = &text[..text.floor_char_boundary(8192)];
    let m = RSS_ROOT.captures(head)?;
    let attrs = &m[1];
    let version = VERSION_ATTR
        .captures(attrs)
        .map(|v| v[1].trim().to_string());
    match version.as_deref() {
        Some("2.0" | "0.91" | "0.92" | "") => None,
        Some(_) => {
            let fixed_attrs = VERSION_ATTR.replace(attrs, "version=\"2.0\"");
            Some(text.replacen(&m[0], &format!("<rss{fixed_attrs}>"), 1))
        }
        None => Some(text.replacen(&m[0], &format!("<rss version=\"2.0\"{attrs}>"), 1)),
    }
}

static XML_DECL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["'][^>]*\?>"#)
        .expect("static regex")
});
static META_CHARSET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']"#).expect("static regex")
});

fn declare_utf8(doc: &str) -> Option<String> {
    // The bytes are UTF-8 whatever the declaration says; a stale label would
    // make the XML reader switch decoders (and on some inputs, panic).
    let head = &doc[..doc.floor_char_boundary(200)];
    let m = XML_DECL.captures(head)?;
    if m[1].eq_ignore_ascii_case("utf-8") || m[1].eq_ignore_ascii_case("utf8") {
        return None;
    }
    Some(
        XML_DECL
            .replace(doc, r#"<?xml version="1.0" encoding="utf-8"?>"#)
            .into_owned(),
    )
}

/// Decodes a document that is not plain UTF-8 into UTF-8 and rewrites its
/// declaration. None when it already is UTF-8 (declared or not).
fn to_utf8(body: &[u8], charset: Option<&str>) -> Option<(String, &'static str)> {
    // UTF-16, by its BOM or by how "<" looks in it (XML 1.0, appendix F).
    let utf16 = match body {
        [0xFE, 0xFF, ..] | [0, b'<', ..] => Some(encoding_rs::UTF_16BE),
        [0xFF, 0xFE, ..] | [b'<', 0, ..] => Some(encoding_rs::UTF_16LE),
        _ => None,
    };
    if let Some(enc) = utf16 {
        let (text, _) = enc.decode_without_bom_handling(body);
        let text = text.trim_start_matches(['\u{FEFF}', ' ', '\t', '\r', '\n']);
        let text = XML_DECL.replace(text, r#"<?xml version="1.0" encoding="utf-8"?>"#);
        return Some((text.into_owned(), "decoded from UTF-16"));
    }
    let head = String::from_utf8_lossy(&body[..body.len().min(200)]);
    let declared = XML_DECL
        .captures(&head)
        .or_else(|| {
            if head.starts_with("<?xml") {
                META_CHARSET.captures(&head)
            } else {
                None
            }
        })
        .map(|c| c[1].to_ascii_lowercase());
    // The XML declaration wins over HTTP for a document that has one; a
    // document that is valid UTF-8 but says otherwise is usually mislabelled
    // ASCII, which decodes the same either way.
    let label = declared.or_else(|| charset.map(str::to_ascii_lowercase));
    let valid_utf8 = std::str::from_utf8(body).is_ok();
    let encoding = label
        .as_deref()
        .and_then(|l| encoding_rs::Encoding::for_label(l.as_bytes()))
        .filter(|e| {
            *e != encoding_rs::UTF_8 && !(valid_utf8 && e.is_ascii_compatible() && body.is_ascii())
        });
    let (encoding, fix) = match encoding {
        // UTF-16 documents are not ASCII-compatible; the declaration lies less often than the BOM.
        Some(e) => (e, "decoded from the declared charset"),
        None if !valid_utf8 => (
            encoding_rs::WINDOWS_1252,
            "re-decoded invalid UTF-8 as windows-1252",
        ),
        None => return None,
    };
    let (text, _, _) = encoding.decode(body);
    let text = XML_DECL.replace(&text, r#"<?xml version="1.0" encoding="utf-8"?>"#);
    Some((text.into_owned(), fix))
}

/// Rebuilds a document feed-rs rejected: drops characters XML forbids,
/// turns HTML-only entities into numeric references, escapes stray `&` and
/// `<`, quotes bare attributes, closes unclosed tags, drops stray closing
/// tags and junk after the root. Returns the new text and what it fixed.
pub fn repair(doc: &[u8]) -> (String, Vec<&'static str>) {
    let mut fixes = Vec::new();
    let text = String::from_utf8_lossy(doc);
    if text.trim_start().starts_with('{') {
        if let Some(fixed) = json_ids_as_text(&text) {
            fixes.push("read JSON Feed item ids that are numbers as text");
            return (fixed, fixes);
        }
        return (text.into_owned(), fixes);
    }
    let cleaned: String = text
        .chars()
        .filter(|&c| {
            matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
        })
        .collect();
    if cleaned.len() != text.len() {
        fixes.push("removed control characters");
    }
    let (entities, changed) = fix_ampersands(&cleaned);
    if changed {
        fixes.push("fixed & and HTML entities");
    }
    let (balanced, changed) = balance(&entities);
    if changed {
        fixes.push("balanced tags");
    }
    (balanced, fixes)
}

/// JSON Feed says an item's id is a string, and feed-rs rejects the whole
/// feed when one is a number (`"id": 31731`); lenient readers take it as
/// the number's text, and so do we.
fn json_ids_as_text(text: &str) -> Option<String> {
    let mut doc: serde_json::Value = serde_json::from_str(text).ok()?;
    let mut changed = false;
    for item in doc.get_mut("items")?.as_array_mut()? {
        if let Some(id) = item.get_mut("id")
            && (id.is_number() || id.is_boolean())
        {
            *id = serde_json::Value::String(id.to_string());
            changed = true;
        }
    }
    changed.then(|| doc.to_string())
}

const XML_ENTITIES: [&str; 5] = ["amp", "lt", "gt", "quot", "apos"];

/// Escapes `&` that starts no reference, and rewrites named HTML entities
/// (`&nbsp;`, `&eacute;`) that XML does not define as numeric references.
fn fix_ampersands(s: &str) -> (String, bool) {
    let mut out = String::with_capacity(s.len() + 16);
    let mut changed = false;
    let mut rest = s;
    while let Some(pos) = rest.find('&') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        let end = after
            .char_indices()
            .take(32)
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '#'));
        match end {
            Some((n, ';')) if n > 0 => {
                let name = &after[..n];
                let numeric = name.strip_prefix('#').is_some_and(|d| {
                    d.strip_prefix(['x', 'X'])
                        .map(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit()))
                        .unwrap_or_else(|| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()))
                });
                if numeric && name.starts_with("#X") {
                    // XML allows only a lower-case x.
                    out.push_str(&format!("&#x{};", &name[2..]));
                    changed = true;
                } else if numeric || XML_ENTITIES.contains(&name) {
                    out.push('&');
                    out.push_str(name);
                    out.push(';');
                } else {
                    let reference = format!("&{name};");
                    let decoded = html_escape::decode_html_entities(&reference);
                    if decoded != reference {
                        for c in decoded.chars() {
                            out.push_str(&format!("&#{};", c as u32));
                        }
                    } else {
                        out.push_str("&amp;");
                        out.push_str(name);
                        out.push(';');
                    }
                    changed = true;
                }
                rest = &after[n + 1..];
            }
            _ => {
                out.push_str("&amp;");
                changed = true;
                rest = after;
            }
        }
    }
    out.push_str(rest);
    (out, changed)
}

fn is_name_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || c == ':'
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | ':' | '-' | '.')
}

/// One pass over the markup with a stack of open elements.
fn balance(s: &str) -> (String, bool) {
    let mut out = String::with_capacity(s.len() + 64);
    let mut stack: Vec<String> = Vec::new();
    let mut changed = false;
    let mut seen_root = false;
    let mut i = 0;
    while i < s.len() {
        let rest = &s[i..];
        if seen_root && stack.is_empty() {
            // Only comments, processing instructions and space may follow the root.
            if !rest.trim().is_empty() {
                changed = true;
            }
            break;
        }
        let Some(lt) = rest.find('<') else {
            out.push_str(rest);
            break;
        };
        out.push_str(&rest[..lt]);
        i += lt;
        let rest = &s[i..];
        let block = |open: &str, close: &str| -> Option<usize> {
            rest.strip_prefix(open).map(|r| {
                r.find(close)
                    .map(|e| open.len() + e + close.len())
                    .unwrap_or(rest.len())
            })
        };
        if let Some(n) = block("<!--", "-->") {
            out.push_str(&rest[..n]);
            if !rest[..n].ends_with("-->") {
                out.push_str("-->");
                changed = true;
            }
            i += n;
            continue;
        }
        if let Some(n) = block("<![CDATA[", "]]>") {
            out.push_str(&rest[..n]);
            if !rest[..n].ends_with("]]>") {
                out.push_str("]]>");
                changed = true;
            }
            i += n;
            continue;
        }
        if let Some(n) = block("<?", "?>") {
            out.push_str(&rest[..n]);
            i += n;
            continue;
        }
        if rest.starts_with("<!") {
            let n = doctype_len(rest);
            out.push_str(&rest[..n]);
            i += n;
            continue;
        }
        let closing = rest.starts_with("</");
        let name_from = if closing { 2 } else { 1 };
        let name: String = rest[name_from..]
            .chars()
            .take_while(|&c| is_name_char(c))
            .collect();
        let valid_name = name.chars().next().is_some_and(is_name_start);
        let Some(gt) = tag_end(rest) else {
            // A `<` that opens nothing: text.
            out.push_str("&lt;");
            changed = true;
            i += 1;
            continue;
        };
        if !valid_name {
            out.push_str("&lt;");
            changed = true;
            i += 1;
            continue;
        }
        let tag = &rest[..=gt];
        i += gt + 1;
        if closing {
            if let Some(pos) = stack.iter().rposition(|t| *t == name) {
                while stack.len() > pos + 1 {
                    let t = stack.pop().expect("non-empty");
                    out.push_str(&format!("</{t}>"));
                    changed = true;
                }
                stack.pop();
                out.push_str(&format!("</{name}>"));
            } else {
                changed = true;
            }
            continue;
        }
        let (tag, fixed) = fix_attributes(tag, &name);
        changed |= fixed;
        let self_closing = tag.ends_with("/>");
        out.push_str(&tag);
        seen_root = true;
        if !self_closing {
            stack.push(name);
        }
    }
    while let Some(t) = stack.pop() {
        out.push_str(&format!("</{t}>"));
        changed = true;
    }
    (out, changed)
}

/// Length of `<!DOCTYPE ...>`, internal subset included.
fn doctype_len(s: &str) -> usize {
    let mut depth = 0i32;
    for (i, c) in s.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            '>' if depth <= 0 => return i + 1,
            _ => {}
        }
    }
    s.len()
}

/// Index of the `>` that ends the tag at the start of `s`, skipping quoted
/// attribute values. None when another `<` comes first (the `<` was text).
fn tag_end(s: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices().skip(1) {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => return Some(i),
            (None, '<') => return None,
            _ => {}
        }
    }
    None
}

/// Quotes bare attribute values and gives value-less attributes one, as HTML
/// allows and XML does not. Drops duplicate attributes.
fn fix_attributes(tag: &str, name: &str) -> (String, bool) {
    let inner = tag[1 + name.len()..tag.len() - 1].trim_end();
    let (inner, self_closing) = match inner.strip_suffix('/') {
        Some(r) => (r, true),
        None => (inner, false),
    };
    let mut attrs: Vec<(String, String)> = Vec::new();
    let mut changed = false;
    let chars: Vec<char> = inner.chars().collect();
    let mut k = 0;
    while k < chars.len() {
        if chars[k].is_whitespace() {
            k += 1;
            continue;
        }
        let start = k;
        while k < chars.len() && !chars[k].is_whitespace() && chars[k] != '=' {
            k += 1;
        }
        let aname: String = chars[start..k].iter().collect();
        while k < chars.len() && chars[k].is_whitespace() {
            k += 1;
        }
        let value = if k < chars.len() && chars[k] == '=' {
            k += 1;
            while k < chars.len() && chars[k].is_whitespace() {
                k += 1;
            }
            if k < chars.len() && (chars[k] == '"' || chars[k] == '\'') {
                let q = chars[k];
                k += 1;
                let vs = k;
                while k < chars.len() && chars[k] != q {
                    k += 1;
                }
                let v: String = chars[vs..k.min(chars.len())].iter().collect();
                k += 1;
                v
            } else {
                let vs = k;
                while k < chars.len() && !chars[k].is_whitespace() {
                    k += 1;
                }
                changed = true;
                chars[vs..k].iter().collect()
            }
        } else {
            changed = true;
            aname.clone()
        };
        if !aname.chars().next().is_some_and(is_name_start) || !aname.chars().all(is_name_char) {
            changed = true;
            continue;
        }
        if attrs.iter().any(|(n, _)| *n == aname) {
            changed = true;
            continue;
        }
        attrs.push((aname, value));
    }
    if !changed {
        return (tag.to_string(), false);
    }
    let mut out = format!("<{name}");
    for (n, v) in attrs {
        let v = v
            .replace('&', "&amp;")
            .replace("&amp;amp;", "&amp;")
            .replace('<', "&lt;")
            .replace('"', "&quot;");
        out.push_str(&format!(" {n}=\"{v}\""));
    }
    out.push_str(if self_closing { "/>" } else { ">" });
    (out, true)
}

/// A BOM or whitespace before the first tag is common and harmless; skip it.
pub fn trim_leading_junk(body: &[u8]) -> &[u8] {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(body.len());
    &body[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atom03_becomes_atom10() {
        let doc = br#"<feed version="0.3" xmlns="http://purl.org/atom/ns#"><entry><title>t</title><issued>2004-01-01T00:00:00Z</issued><modified>2004-01-02T00:00:00Z</modified></entry></feed>"#;
        let out = String::from_utf8(normalize(doc, None).0.into_owned()).unwrap();
        assert!(out.contains(ATOM10_NS));
        assert!(out.contains("<published>2004-01-01T00:00:00Z</published>"));
        assert!(out.contains("<updated>2004-01-02T00:00:00Z</updated>"));
    }

    #[test]
    fn atom_text_types_become_ones_feed_rs_reads() {
        let doc = br#"<feed xmlns="http://www.w3.org/2005/Atom"><entry><title type="text/plain">a</title><summary type='application/xhtml+xml'>b</summary><content type="">c</content><content type="image/png" src="x.png"/><link type="text/html" href="h"/></entry></feed>"#;
        let out = String::from_utf8(normalize(doc, None).0.into_owned()).unwrap();
        assert!(out.contains(r#"<title type="text">"#), "{out}");
        assert!(out.contains(r#"<summary type="xhtml">"#), "{out}");
        assert!(out.contains(r#"<content type="text">c"#), "{out}");
        assert!(out.contains(r#"type="image/png" src="x.png""#), "{out}");
        assert!(
            out.contains(r#"<link type="text/html""#),
            "links keep their MIME type: {out}"
        );
        let doc = br#"<feed xmlns="http://www.w3.org/2005/Atom"><entry><title type="text/plain">a</title><content src="x.txt" type="text/plain"/><media:title type="plain">m</media:title></entry></feed>"#;
        let out = String::from_utf8(normalize(doc, None).0.into_owned()).unwrap();
        assert!(
            out.contains(r#"<content src="x.txt" type="text/plain"/>"#),
            "{out}"
        );
        assert!(out.contains(r#"<media:title type="plain">"#), "{out}");
    }

    #[test]
    fn dc_title_stands_in_for_a_missing_title() {
        let doc = "<rss><channel><item><dc:title>DC</dc:title></item><item><title>Own</title><dc:title>DC2</dc:title></item></channel></rss>";
        let out = dc_title_fallback(doc).unwrap();
        assert!(
            out.contains("<item><title>DC</title><dc:title>DC</dc:title></item>"),
            "{out}"
        );
        assert_eq!(out.matches("<title>").count(), 2);
    }

    #[test]
    fn rss_namespaces_are_unprefixed() {
        let doc = r#"<r:rss version="2.0" xmlns:r="http://backend.userland.com/rss2"><r:channel><r:item><r:title>T</r:title></r:item></r:channel></r:rss>"#;
        assert_eq!(
            unprefix_rss(doc).unwrap(),
            r#"<rss version="2.0"><channel><item><title>T</title></item></channel></rss>"#
        );
        let doc = r#"<rss version="2.0" xmlns="http://backend.userland.com/rss2"><channel/></rss>"#;
        assert_eq!(
            unprefix_rss(doc).unwrap(),
            r#"<rss version="2.0"><channel/></rss>"#
        );
        let doc = r#"<rdf:RDF xmlns:rdf="x" xmlns="http://my.netscape.com/rdf/simple/0.9/"><item/></rdf:RDF>"#;
        assert!(
            unprefix_rss(doc)
                .unwrap()
                .contains(r#"xmlns="http://purl.org/rss/1.0/""#)
        );
        assert!(unprefix_rss("<rss><channel/></rss>").is_none());
    }

    #[test]
    fn xml_base_resolves_links_inside_markup() {
        let doc = r#"<feed xml:base="http://example.com/parent/"><entry><title type="xhtml" xml:base="http://example.com/test/"><div>Example <a href="test.html">test</a> <img src="/i.png"/></div></title><summary type="xhtml"><div><a href="s.html">s</a> <a href="https://other.org/x">x</a></div></summary></entry></feed>"#;
        let out = resolve_xml_base(doc).unwrap();
        assert!(
            out.contains(r#"<a href="http://example.com/test/test.html">"#),
            "{out}"
        );
        assert!(
            out.contains(r#"<img src="http://example.com/i.png"/>"#),
            "{out}"
        );
        assert!(
            out.contains(r#"<a href="http://example.com/parent/s.html">"#),
            "{out}"
        );
        assert!(out.contains(r#"<a href="https://other.org/x">"#));
        assert!(resolve_xml_base("<feed><a href=\"x\"/></feed>").is_none());
    }

    #[test]
    fn naked_markup_is_kept() {
        let doc = "<rss><channel><item><title><p>Item Title</p></title><description>a <b>b</b></description></item><item><title>plain</title></item></channel></rss>";
        let out = wrap_naked_markup(doc).unwrap();
        assert!(
            out.contains("<title><![CDATA[<p>Item Title</p>]]></title>"),
            "{out}"
        );
        assert!(
            out.contains("<description><![CDATA[a <b>b</b>]]></description>"),
            "{out}"
        );
        assert!(out.contains("<title>plain</title>"));
        assert!(wrap_naked_markup(r#"<title type="xhtml"><div>x</div></title>"#).is_none());
        assert!(wrap_naked_markup("<title><![CDATA[<b>x</b>]]></title>").is_none());
    }

    #[test]
    fn base64_text_is_decoded() {
        let doc = r#"<feed xmlns="http://www.w3.org/2005/Atom"><entry><title type="application/octet-stream">RXhhbXBsZSA8Yj5BdG9tPC9iPg==</title><summary>plain</summary></entry></feed>"#;
        let out = decode_base64_texts(doc).unwrap();
        assert!(
            out.contains(r#"<title type="html">Example &lt;b&gt;Atom&lt;/b&gt;</title>"#),
            "{out}"
        );
        assert!(out.contains("<summary>plain</summary>"));
    }

    #[test]
    fn linkless_rss1_items_get_the_marker() {
        let doc = "<rdf:RDF><items><rdf:Seq/></items><item rdf:about=\"a\"><title>A</title></item><item><title>B</title><link>x</link></item><rss:item><title>C</title></rss:item></rdf:RDF>";
        let out = mark_linkless_rss1_items(doc).unwrap();
        assert_eq!(out.matches(MISSING_LINK).count(), 2, "{out}");
        assert!(out.contains("<items><rdf:Seq/></items>"));
        assert!(out.contains("<title>B</title><link>x</link>"));
    }

    #[test]
    fn only_odd_types_trigger_the_rewrite() {
        for ok in [
            r#"<title type="text">"#,
            r#"<title type="html">"#,
            r#"<summary type='xhtml'>"#,
        ] {
            assert!(!ATOM_NEEDS_TYPE_FIX.is_match(ok), "{ok}");
        }
        for odd in [
            r#"<title type="text/plain">"#,
            r#"<title type="">"#,
            r#"<content type="application/xhtml+xml">"#,
            r#"<title type="htm">"#,
        ] {
            assert!(ATOM_NEEDS_TYPE_FIX.is_match(odd), "{odd}");
        }
    }

    #[test]
    fn rss_without_a_known_version_is_read_as_2_0() {
        assert_eq!(
            fix_rss_version("<rss><channel/></rss>").unwrap(),
            r#"<rss version="2.0"><channel/></rss>"#
        );
        assert_eq!(
            fix_rss_version(r#"<rss version="0.94">"#).unwrap(),
            r#"<rss version="2.0">"#
        );
        assert!(fix_rss_version(r#"<rss version="2.0">"#).is_none());
    }

    #[test]
    fn other_documents_are_borrowed_untouched() {
        let doc = b"\xEF\xBB\xBF  <rss version=\"2.0\"/>";
        assert!(matches!(
            normalize(doc, None).0,
            Cow::Borrowed(b"<rss version=\"2.0\"/>")
        ));
    }

    #[test]
    fn windows_1252_declared_as_utf8_is_re_decoded() {
        let doc =
            b"<?xml version=\"1.0\" encoding=\"utf-8\"?><rss><t>caf\xe9 \x93quoted\x94</t></rss>";
        let (out, fixes) = normalize(doc, None);
        let out = String::from_utf8(out.into_owned()).unwrap();
        assert!(out.contains("café “quoted”"), "{out}");
        assert_eq!(fixes, vec!["re-decoded invalid UTF-8 as windows-1252"]);
    }

    #[test]
    fn declared_legacy_charsets_are_decoded() {
        let doc = b"<?xml version=\"1.0\" encoding=\"koi8-r\"?><rss><t>\xf0\xd2\xc9\xd7\xc5\xd4</t></rss>";
        let out = String::from_utf8(normalize(doc, None).0.into_owned()).unwrap();
        assert!(out.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>"));
        assert!(out.contains("Привет"), "{out}");
    }

    #[test]
    fn utf16_without_a_bom_is_detected() {
        let text = "<?xml version=\"1.0\" encoding=\"utf-16be\"?><rss version=\"2.0\"/>";
        let be: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
        let le: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        for doc in [be, le] {
            let out = String::from_utf8(normalize(&doc, None).0.into_owned()).unwrap();
            assert_eq!(
                out,
                "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"/>"
            );
        }
    }

    #[test]
    fn ampersands_and_html_entities() {
        let (out, changed) = fix_ampersands("AT&T &amp; caf&eacute;&nbsp;&#233; &#X41; &bogus; &");
        assert!(changed);
        assert_eq!(
            out,
            "AT&amp;T &amp; caf&#233;&#160;&#233; &#x41; &amp;bogus; &amp;"
        );
    }

    #[test]
    fn unclosed_and_stray_tags_are_balanced() {
        let (out, changed) = balance(
            "<rss><channel><item><title>a</title><description><p>x<br>y</description></item></channel></rss>junk</rss>",
        );
        assert!(changed);
        assert_eq!(
            out,
            "<rss><channel><item><title>a</title><description><p>x<br>y</br></p></description></item></channel></rss>"
        );
        let (out, _) = balance("<rss><channel><item><title>a 1 < 2</title>");
        assert_eq!(
            out,
            "<rss><channel><item><title>a 1 &lt; 2</title></item></channel></rss>"
        );
        let (out, _) = balance("<a href=x checked title='q'>t</a>");
        assert_eq!(out, "<a href=\"x\" checked=\"checked\" title=\"q\">t</a>");
    }

    #[test]
    fn repair_never_panics_on_odd_input() {
        for doc in [
            "",
            "<",
            "<<>>",
            "</x>",
            "<![CDATA[",
            "<!--",
            "<?xml",
            "&",
            "&#;",
            "<a b=\"",
            "\u{0}<r>\u{1}</r>",
            "<é/>",
            "<r>&#xZZ;</r>",
        ] {
            let _ = repair(doc.as_bytes());
            let _ = normalize(doc.as_bytes(), Some("bogus"));
        }
    }
}
