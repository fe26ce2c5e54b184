//! Bytes to `FeedItem`s. Pure: no I/O. RSS 0.9x/1.0/2.0, Atom and JSON Feed
//! through feed-rs, with our own stable item keys.

use super::FeedItem;
use crate::domain::ItemKey;
use crate::extract::text::html_to_text;
use url::Url;

#[derive(Debug, Clone)]
pub struct ParsedFeed {
    pub title: Option<String>,
    pub items: Vec<FeedItem>,
    /// What had to be fixed for the document to parse (empty when nothing).
    pub repairs: Vec<&'static str>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ParseError {
    #[error("this is an HTML page, not a feed (is the URL the site rather than its feed?)")]
    HtmlNotFeed,
    #[error("empty document")]
    Empty,
    #[error("not a valid feed: {0}")]
    Invalid(String),
}

/// Parses a feed document. `feed_key` scopes GUIDs; `base` resolves relative links.
pub fn parse_feed(
    body: &[u8],
    content_type: Option<&str>,
    feed_key: &str,
    base: Option<&Url>,
) -> Result<ParsedFeed, ParseError> {
    let charset = content_type.and_then(charset_of);
    let (doc, mut repairs) = super::repair::normalize(body, charset.as_deref());
    if doc.is_empty() {
        return Err(ParseError::Empty);
    }
    if looks_like_html(&doc, content_type) {
        return Err(ParseError::HtmlNotFeed);
    }
    let parsed = match parse_strict(&doc, base) {
        Ok(f) => f,
        Err(first) => {
            // Rebuild the document the way lenient parsers read it, and try once more.
            let (fixed, fixes) = super::repair::repair(&doc);
            match parse_strict(fixed.as_bytes(), base) {
                Ok(f) => {
                    repairs.extend(fixes);
                    f
                }
                Err(_) => return Err(first),
            }
        }
    };
    let title = parsed.title.as_ref().map(|t| clean_inline(&t.content));
    // feedparser presents Atom 0.3's inline XHTML with its wrapping div, and
    // Atom 1.0's without.
    let keep_div = repairs.contains(&super::repair::UPGRADED_ATOM03);
    let items = parsed
        .entries
        .into_iter()
        .map(|e| to_item(e, feed_key, base, keep_div))
        .collect();
    Ok(ParsedFeed {
        title,
        items,
        repairs,
    })
}

fn parse_strict(doc: &[u8], base: Option<&Url>) -> Result<feed_rs::model::Feed, ParseError> {
    // An empty id marks "the feed gave none", so we can build our own key
    // instead of accepting feed-rs's random fallback.
    let parser = feed_rs::parser::Builder::new()
        .base_uri(base.map(Url::as_str))
        .id_generator(|_, _, _| String::new())
        .timestamp_parser(super::dates::parse_date)
        .build();
    // A parser panic on a pathological input must not take the process down.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| parser.parse(doc)))
        .map_err(|_| ParseError::Invalid("the parser crashed on this document".into()))?
        .map_err(|e| ParseError::Invalid(e.to_string()))
}

fn charset_of(content_type: &str) -> Option<String> {
    content_type.split(';').find_map(|p| {
        let (k, v) = p.split_once('=')?;
        (k.trim().eq_ignore_ascii_case("charset")).then(|| v.trim().trim_matches('"').to_string())
    })
}

fn to_item(
    e: feed_rs::model::Entry,
    feed_key: &str,
    base: Option<&Url>,
    keep_div: bool,
) -> FeedItem {
    let raw_title = e
        .title
        .as_ref()
        .map(|t| raw_text(t, keep_div))
        .unwrap_or_default();
    let title = clean_inline(&raw_title);
    let entry_base = e
        .base
        .as_deref()
        .and_then(|b| resolve(b, base))
        .and_then(|b| Url::parse(&b).ok());
    let link = e
        .links
        .iter()
        .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .or_else(|| e.links.first())
        .filter(|l| l.href != super::repair::MISSING_LINK)
        .and_then(|l| resolve(&l.href, entry_base.as_ref().or(base)))
        .filter(|l| readable_link(l, base));
    let summary = e
        .summary
        .as_ref()
        .map(|t| t.content.clone())
        .filter(|s| !s.trim().is_empty());
    let content = e
        .content
        .as_ref()
        .and_then(|c| c.body.clone())
        .filter(|s| !s.trim().is_empty());
    let key = if !e.id.trim().is_empty() {
        ItemKey::from_guid(feed_key, &e.id)
    } else if let Some(l) = &link {
        ItemKey::from_link(&canonical_link(l))
    } else {
        ItemKey::from_content(
            feed_key,
            &title,
            content.as_deref().or(summary.as_deref()).unwrap_or(""),
        )
    };
    let categories = e
        .categories
        .iter()
        .map(|c| c.label.clone().unwrap_or_else(|| c.term.clone()))
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect();
    let author = e
        .authors
        .first()
        .map(|p| p.name.as_deref().unwrap_or_default().trim().to_string())
        .filter(|n| !n.is_empty());
    FeedItem {
        key,
        title,
        raw_title,
        link,
        published: e.published.or(e.updated),
        author,
        categories,
        summary,
        content,
    }
}

/// A text construct as the feed typed it (HTML stays HTML).
fn raw_text(t: &feed_rs::model::Text, keep_div: bool) -> String {
    let sanitized = if t.content_type.to_string().contains("plain") {
        t.content.clone()
    } else {
        super::sanitize::sanitize_inline_html(&t.content)
    };
    let content = sanitized.trim();
    if keep_div && t.content_type.to_string().contains("xhtml") && content.contains('<') {
        format!("<div>{content}</div>")
    } else {
        content.to_string()
    }
}

fn resolve(href: &str, base: Option<&Url>) -> Option<String> {
    let href = href.trim();
    if href.is_empty() {
        return None;
    }
    match Url::parse(href) {
        Ok(u) => Some(u.to_string()),
        Err(_) => base.and_then(|b| b.join(href).ok()).map(|u| u.to_string()),
    }
}

/// A link a reader may be sent to: http(s), or a local file when the feed
/// itself is local (the bundled demo). `javascript:`, `data:` and the like
/// never reach an email.
fn readable_link(link: &str, base: Option<&Url>) -> bool {
    match Url::parse(link).map(|u| u.scheme().to_string()) {
        Ok(s) if s == "http" || s == "https" => true,
        Ok(s) if s == "file" => base.is_some_and(|b| b.scheme() == "file"),
        _ => false,
    }
}

/// The form two links to one article share: no fragment, no tracking
/// parameters, no trailing slash, host lower-cased (by `Url`).
pub fn canonical_link(link: &str) -> String {
    let Ok(mut u) = Url::parse(link) else {
        return link.trim().to_string();
    };
    u.set_fragment(None);
    let kept: Vec<(String, String)> = u
        .query_pairs()
        .filter(|(k, _)| {
            let k = k.to_ascii_lowercase();
            !(k.starts_with("utm_")
                || matches!(
                    k.as_str(),
                    "fbclid" | "gclid" | "mc_cid" | "mc_eid" | "ref" | "cmpid"
                ))
        })
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() {
        u.set_query(None);
    } else {
        u.query_pairs_mut().clear().extend_pairs(kept);
    }
    let mut s = u.to_string();
    if s.ends_with('/') && u.path() != "/" {
        s.pop();
    }
    s
}

fn clean_inline(s: &str) -> String {
    // Only markup needs a DOM; entities alone decode directly (much cheaper).
    let text = if s.contains('<') {
        html_to_text(s)
    } else if s.contains('&') {
        html_escape::decode_html_entities(s).into_owned()
    } else {
        s.to_string()
    };
    crate::extract::text::visible(&text)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn looks_like_html(body: &[u8], content_type: Option<&str>) -> bool {
    let head: String = String::from_utf8_lossy(&body[..body.len().min(512)]).to_ascii_lowercase();
    let head = head.trim_start();
    let html_start = head.starts_with("<!doctype html") || head.starts_with("<html");
    let html_type = content_type.is_some_and(|t| t.to_ascii_lowercase().starts_with("text/html"));
    html_start
        || (html_type
            && !head.contains("<rss")
            && !head.contains("<feed")
            && !head.starts_with('{'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
<title>Example &amp; Co</title><link>https://example.com/</link>
<item><title>First &lt;b&gt;story&lt;/b&gt;</title><link>/a/1?utm_source=rss</link><guid isPermaLink="false">id-1</guid>
<pubDate>Mon, 16 Nov 2026 09:00:00 GMT</pubDate><category>Chips</category>
<description>Short.</description><content:encoded><![CDATA[<p>Full <em>text</em>.</p>]]></content:encoded></item>
<item><title>No guid</title><link>https://example.com/a/2</link><description>x</description></item>
<item><title>Nothing at all</title><description>only text</description></item>
</channel></rss>"#;

    fn base() -> Url {
        Url::parse("https://example.com/feed.xml").unwrap()
    }

    #[test]
    fn reads_rss_with_stable_keys() {
        let f = parse_feed(RSS.as_bytes(), None, "feed", Some(&base())).unwrap();
        assert_eq!(f.title.as_deref(), Some("Example & Co"));
        assert_eq!(f.items.len(), 3);
        let a = &f.items[0];
        assert_eq!(a.title, "First story");
        assert_eq!(
            a.link.as_deref(),
            Some("https://example.com/a/1?utm_source=rss")
        );
        assert_eq!(a.key, ItemKey::from_guid("feed", "id-1"));
        assert_eq!(a.categories, vec!["Chips"]);
        assert!(a.content.as_deref().unwrap().contains("<em>text</em>"));
        assert_eq!(
            f.items[1].key,
            ItemKey::from_link("https://example.com/a/2")
        );
        // Parsing again gives the same keys: nothing random.
        let again = parse_feed(RSS.as_bytes(), None, "feed", Some(&base())).unwrap();
        let keys = |f: &ParsedFeed| f.items.iter().map(|i| i.key.clone()).collect::<Vec<_>>();
        assert_eq!(keys(&f), keys(&again));
    }

    #[test]
    fn reads_atom_and_json_feed() {
        let atom = r#"<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><id>urn:a</id><updated>2026-11-16T00:00:00Z</updated>
<entry><title>Atom entry</title><id>urn:a:1</id><link href="https://example.com/x"/><updated>2026-11-16T00:00:00Z</updated><summary>S</summary></entry></feed>"#;
        let f = parse_feed(atom.as_bytes(), None, "a", None).unwrap();
        assert_eq!(f.items[0].title, "Atom entry");
        let json = r#"{"version":"https://jsonfeed.org/version/1.1","title":"J","items":[{"id":"1","url":"https://example.com/j","title":"Json entry","content_html":"<p>Hi</p>"}]}"#;
        let f = parse_feed(json.as_bytes(), Some("application/feed+json"), "j", None).unwrap();
        assert_eq!(f.items[0].title, "Json entry");
        assert_eq!(f.items[0].link.as_deref(), Some("https://example.com/j"));
    }

    #[test]
    fn a_json_feed_whose_ids_are_numbers_is_read() {
        let json = r#"{"version":"https://jsonfeed.org/version/1.1","title":"J","items":[
            {"id":31731,"url":"https://example.com/a","title":"Numbered","date_published":"2026-01-30T10:00:00Z"},
            {"id":"b","url":"https://example.com/b","title":"Named"}]}"#;
        let f = parse_feed(json.as_bytes(), Some("application/feed+json"), "j", None).unwrap();
        assert_eq!(f.items.len(), 2);
        assert_eq!(f.items[0].title, "Numbered");
        assert_eq!(f.items[0].key, ItemKey::from_guid("j", "31731"));
        assert!(f.items[0].published.is_some());
        assert!(!f.repairs.is_empty());
    }

    #[test]
    fn html_is_reported_as_such() {
        let html = b"\n<!DOCTYPE html><html><body>hi</body></html>";
        assert_eq!(
            parse_feed(html, None, "x", None).unwrap_err(),
            ParseError::HtmlNotFeed
        );
        assert_eq!(
            parse_feed(b"  ", None, "x", None).unwrap_err(),
            ParseError::Empty
        );
        assert!(matches!(
            parse_feed(b"<rss><channel><item>", None, "x", None),
            Err(ParseError::Invalid(_)) | Ok(_)
        ));
    }

    #[test]
    fn a_document_with_every_listed_fault_is_repaired_and_read() {
        // windows-1252 declared as UTF-8, a BOM and space before the
        // declaration, a bare &, HTML entities, a control character, an
        // unclosed tag in an item body and junk after the root.
        let mut doc = b"\xEF\xBB\xBF \n<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\"><channel><title>Caf\xe9 & Co</title>".to_vec();
        doc.extend_from_slice(b"<item><title>Fish &amp; chips&nbsp;&mdash; caf\xe9\x01</title><guid>1</guid><description><p>open <b>bold</description></item>");
        doc.extend_from_slice(b"<item><title>Second</title><guid>2</guid></item></channel></rss>\n<script>junk</script>");
        let f = parse_feed(&doc, None, "feed", None).expect("repaired");
        assert_eq!(f.items.len(), 2);
        assert_eq!(f.items[0].title, "Fish & chips — café");
        assert_eq!(f.title.as_deref(), Some("Café & Co"));
        assert!(!f.repairs.is_empty(), "the repair is reported");
    }

    #[test]
    fn no_input_panics() {
        // A cheap deterministic fuzz: fragments of feeds cut and spliced.
        let seeds: [&[u8]; 4] = [RSS.as_bytes(), b"<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><title type=\"xhtml\"><div>x</div></title></entry></feed>", b"{\"version\":\"https://jsonfeed.org/version/1.1\",\"items\":[{\"id\":1}]}", b"<rdf:RDF xmlns=\"http://purl.org/rss/1.0/\"><item><title>t</title></item></rdf:RDF>"];
        let mut state = 0x2545_f491_u32;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as usize
        };
        for _ in 0..2000 {
            let a = seeds[next() % seeds.len()];
            let b = seeds[next() % seeds.len()];
            let (i, j) = (next() % (a.len() + 1), next() % (b.len() + 1));
            let mut doc = a[..i].to_vec();
            doc.extend_from_slice(&b[j..]);
            if !doc.is_empty() {
                let k = next() % doc.len();
                doc[k] = (next() % 256) as u8;
            }
            let _ = parse_feed(&doc, None, "f", None);
        }
    }

    #[test]
    fn canonical_links_drop_tracking() {
        assert_eq!(
            canonical_link("https://Example.com/a/1/?utm_source=x&id=3#top"),
            "https://example.com/a/1/?id=3"
        );
        assert_eq!(
            canonical_link("https://example.com/a/1/"),
            "https://example.com/a/1"
        );
    }
}
