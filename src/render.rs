//! Digest × subscriber → `RenderedEmail`: the HTML and plain-text parts from
//! askama templates, and the headers that make bulk mail acceptable.

use crate::assemble::Digest;
use crate::config::NewsletterSettings;
use crate::domain::{EmailAddress, SubscriberName};
use askama::Template;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

pub mod palette;
mod personal;
pub use palette::{DARK, LIGHT, Palette};
use personal::{Personal, crlf};

/// One message, ready for a transport.
#[derive(Debug, Clone)]
pub struct RenderedEmail {
    pub from: String,
    pub reply_to: Option<String>,
    pub to: EmailAddress,
    pub to_name: Option<String>,
    pub subject: String,
    pub html: String,
    pub text: String,
    /// Without angle brackets: `edition.subscriber-hash@domain`.
    pub message_id: String,
    pub list_id: String,
    pub list_unsubscribe: String,
    pub list_unsubscribe_post: bool,
    /// Both parts already quoted-printable encoded (CRLF line endings), so
    /// the message builder need not encode them again.
    pub encoded: Option<Encoded>,
}

#[derive(Debug, Clone)]
pub struct Encoded {
    pub text: Vec<u8>,
    pub html: Vec<u8>,
}

/// What rendering needs to know about the recipient.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub id: i64,
    pub email: EmailAddress,
    pub name: Option<SubscriberName>,
}

#[derive(Template)]
#[template(path = "digest.html")]
struct HtmlPart<'a> {
    d: &'a Digest,
    light: Palette,
    dark: Palette,
    preheader: String,
    recipient: &'a str,
    sender: &'a str,
    postal_address: &'a str,
    unsubscribe_url: &'a str,
    view_url: Option<String>,
}

struct TextStory {
    number: usize,
    title: String,
    meta: String,
    lines: Vec<String>,
    link: Option<String>,
}

struct TextSection {
    title: String,
    stories: Vec<TextStory>,
}

#[derive(Template)]
#[template(path = "digest.txt")]
struct TextPart<'a> {
    d: &'a Digest,
    sections: &'a [TextSection],
    recipient: &'a str,
    sender: &'a str,
    postal_address: &'a str,
    unsubscribe_url: &'a str,
    view_url: Option<String>,
}

pub struct Renderer {
    settings: NewsletterSettings,
    /// Public URL of the archive, when it is on: adds "view in browser".
    archive_url: Option<String>,
    inliner: css_inline::CSSInliner<'static>,
    /// The From display name (else the newsletter's), for the footer.
    sender: String,
}

impl Renderer {
    pub fn new(settings: &NewsletterSettings, archive_url: Option<String>) -> Self {
        let sender = crate::config::parse_mailbox(&settings.from)
            .ok()
            .and_then(|m| m.name)
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| settings.name.clone());
        Self {
            settings: settings.clone(),
            archive_url,
            sender,
            // The stylesheet is ours and local: nothing is fetched. The
            // media-query blocks carry `data-css-inline="keep"` and stay in
            // the head for the clients that honour them.
            inliner: css_inline::CSSInliner::options()
                .load_remote_stylesheets(false)
                .keep_style_tags(false)
                .build(),
        }
    }

    /// Where this edition can be read on the web, when the archive is on.
    pub fn view_url(&self, edition_key: &str) -> Option<String> {
        self.archive_url
            .as_ref()
            .map(|base| format!("{base}/{}", crate::archive::page_name(edition_key)))
    }

    /// Renders one message. For many recipients of one edition, `prepare`
    /// once and render each from that.
    pub fn render(&self, digest: &Digest, to: &Recipient) -> anyhow::Result<RenderedEmail> {
        self.prepare(digest)?.render(to)
    }

    /// The per-edition work, done once: the HTML is templated and its CSS
    /// inlined with placeholders where the recipient's address and
    /// unsubscribe link go (inlining is most of the cost of a message).
    pub fn prepare<'a>(&'a self, digest: &'a Digest) -> anyhow::Result<Prepared<'a>> {
        let s = &self.settings;
        let preheader = digest
            .lead()
            .and_then(|l| l.summary.first().cloned())
            .unwrap_or_else(|| digest.intro.clone());
        let view_url = self.view_url(&digest.key);
        let html = HtmlPart {
            d: digest,
            light: LIGHT,
            dark: DARK,
            preheader,
            recipient: RECIPIENT_SLOT,
            sender: &self.sender,
            postal_address: &s.postal_address,
            unsubscribe_url: UNSUBSCRIBE_SLOT,
            view_url: view_url.clone(),
        }
        .render()?;
        let html = self
            .inliner
            .inline(&html)
            .map_err(|e| anyhow::anyhow!("cannot inline the email's CSS: {e}"))?;
        let sections = text_sections(digest);
        let text = TextPart {
            d: digest,
            sections: &sections,
            recipient: RECIPIENT_SLOT,
            sender: &self.sender,
            postal_address: &s.postal_address,
            unsubscribe_url: UNSUBSCRIBE_SLOT,
            view_url,
        }
        .render()?;
        for slot in [RECIPIENT_SLOT, UNSUBSCRIBE_SLOT] {
            anyhow::ensure!(
                html.contains(slot) && text.contains(slot),
                "a template lost its {slot} placeholder"
            );
        }
        let slots = [RECIPIENT_SLOT, UNSUBSCRIBE_SLOT];
        Ok(Prepared {
            renderer: self,
            digest,
            html: Personal::new(crlf(&html), &slots),
            text: Personal::new(crlf(&text), &slots),
        })
    }
}

#[derive(Template)]
#[template(path = "email/confirm.html")]
struct ConfirmHtml<'a> {
    newsletter: &'a str,
    postal_address: &'a str,
    email: &'a str,
    link: &'a str,
    days: i64,
}

#[derive(Template)]
#[template(path = "email/confirm.txt")]
struct ConfirmText<'a> {
    newsletter: &'a str,
    postal_address: &'a str,
    email: &'a str,
    link: &'a str,
    days: i64,
}

/// How long a double opt-in link works.
pub const CONFIRM_TTL_SECS: i64 = 7 * 24 * 3600;

impl Renderer {
    /// The double opt-in request: one message to one person, so no list
    /// headers. The link opens a page whose button confirms (a GET alone
    /// does not, since link scanners follow GETs).
    pub fn confirmation(&self, to: &Recipient, now: i64) -> anyhow::Result<RenderedEmail> {
        let s = &self.settings;
        let token = confirm_token(&s.secret, to.id, to.email.as_str(), now);
        let link = format!("{}/confirm/{token}", s.base_url.trim_end_matches('/'));
        let days = CONFIRM_TTL_SECS / 86400;
        let (newsletter, postal_address, email) = (&s.name, &s.postal_address, to.email.as_str());
        let html = ConfirmHtml {
            newsletter,
            postal_address,
            email,
            link: &link,
            days,
        }
        .render()?;
        let text = ConfirmText {
            newsletter,
            postal_address,
            email,
            link: &link,
            days,
        }
        .render()?;
        Ok(RenderedEmail {
            from: s.from.clone(),
            reply_to: s.reply_to.clone(),
            to: to.email.clone(),
            to_name: to.name.as_ref().map(|n| n.as_str().to_string()),
            subject: format!("Confirm your subscription to {}", s.name),
            html,
            text,
            message_id: format!(
                "confirm.{}.{now}.{}",
                to.id,
                message_id("c", to, &s.from, &s.secret)
            ),
            list_id: String::new(),
            list_unsubscribe: String::new(),
            list_unsubscribe_post: false,
            encoded: None,
        })
    }
}

/// Placeholders for what differs per recipient. Only letters, digits and
/// dashes, so templating and inlining leave them as they are.
const RECIPIENT_SLOT: &str = "roundup-slot-recipient";
const UNSUBSCRIBE_SLOT: &str = "roundup-slot-unsubscribe";

/// One edition, ready to be addressed to each subscriber.
pub struct Prepared<'a> {
    renderer: &'a Renderer,
    digest: &'a Digest,
    html: Personal,
    text: Personal,
}

impl Prepared<'_> {
    pub fn render(&self, to: &Recipient) -> anyhow::Result<RenderedEmail> {
        let s = &self.renderer.settings;
        let digest = self.digest;
        let token = unsubscribe_token(&s.secret, to.id, to.email.as_str());
        let unsubscribe_url = format!("{}/u/{}", s.base_url.trim_end_matches('/'), token);
        // The footer comes last, so the last occurrence is the placeholder
        // even if a story happened to contain the same text. The HTML gets
        // the values escaped (they land in text and in an attribute).
        let (html, html_qp) = self.html.fill(&[
            (
                UNSUBSCRIBE_SLOT,
                &html_escape::encode_double_quoted_attribute(&unsubscribe_url),
            ),
            (
                RECIPIENT_SLOT,
                &html_escape::encode_double_quoted_attribute(to.email.as_str()),
            ),
        ]);
        let (text, text_qp) = self.text.fill(&[
            (UNSUBSCRIBE_SLOT, &unsubscribe_url),
            (RECIPIENT_SLOT, to.email.as_str()),
        ]);
        let mut list_unsubscribe = format!("<{unsubscribe_url}>");
        if let Some(m) = &s.unsubscribe_mailto {
            list_unsubscribe.push_str(&format!(", <mailto:{m}?subject=unsubscribe%20{}>", to.id));
        }
        Ok(RenderedEmail {
            from: s.from.clone(),
            reply_to: s.reply_to.clone(),
            to: to.email.clone(),
            to_name: to.name.as_ref().map(|n| n.as_str().to_string()),
            subject: digest.subject.clone(),
            html,
            text,
            message_id: message_id(&digest.key, to, &s.from, &s.secret),
            list_id: format!("{} <{}>", s.list_id_label(), s.list_id),
            list_unsubscribe,
            list_unsubscribe_post: true,
            encoded: Some(Encoded {
                text: text_qp,
                html: html_qp,
            }),
        })
    }
}

impl NewsletterSettings {
    fn list_id_label(&self) -> String {
        // A quoted phrase keeps odd characters in the name legal.
        format!("\"{}\"", self.name.replace(['"', '\\'], ""))
    }
}

fn text_sections(d: &Digest) -> Vec<TextSection> {
    let mut n = 0;
    d.sections
        .iter()
        .map(|sec| TextSection {
            title: sec.title.to_uppercase(),
            stories: sec
                .stories
                .iter()
                .map(|st| {
                    n += 1;
                    let mut meta = st.source.clone();
                    if !st.also.is_empty() {
                        meta.push_str(" · also covered by ");
                        meta.push_str(
                            &st.also
                                .iter()
                                .map(|a| a.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", "),
                        );
                    }
                    meta.push_str(&format!(" · {} min read", st.reading_minutes));
                    TextStory {
                        number: n,
                        title: st.title.clone(),
                        meta,
                        lines: wrap(&st.summary.join(" "), 72),
                        link: st.link.clone(),
                    }
                })
                .collect(),
        })
        .collect()
}

/// Greedy word wrap for the plain-text part.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for w in text.split_whitespace() {
        if !cur.is_empty() && cur.chars().count() + 1 + w.chars().count() > width {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(w);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

/// Deterministic per (edition, subscriber), so a re-send after a crash carries
/// the same Message-ID and downstream systems can drop the duplicate.
pub fn message_id(edition: &str, to: &Recipient, from: &str, secret: &str) -> String {
    let domain = from
        .rsplit('@')
        .next()
        .map(|d| d.trim_end_matches('>').trim())
        .filter(|d| !d.is_empty())
        .unwrap_or("roundup.invalid");
    let tag = sign(secret, &format!("message-id:{edition}:{}", to.email));
    format!("{edition}.{}.{}@{domain}", to.id, &tag[..16])
}

/// `ID.MAC`: the subscriber id and an HMAC over it and the address, so a
/// token cannot be forged or moved to another subscriber.
pub fn unsubscribe_token(secret: &str, subscriber_id: i64, email: &str) -> String {
    format!(
        "{subscriber_id}.{}",
        &sign(secret, &format!("unsubscribe:{subscriber_id}:{email}"))[..32]
    )
}

/// Checks a token against the address the store holds for its id.
pub fn verify_unsubscribe_token(secret: &str, token: &str, email: &str) -> Option<i64> {
    let id = token_subscriber(token)?;
    constant_time_eq(&unsubscribe_token(secret, id, email), token).then_some(id)
}

/// The subscriber id a token names, before it is checked: the store holds
/// the address its MAC must match.
pub fn token_subscriber(token: &str) -> Option<i64> {
    token.split('.').next()?.parse().ok()
}

/// `ID.ISSUED.MAC`: a double opt-in link, good for `ttl_secs` after `issued`.
pub fn confirm_token(secret: &str, subscriber_id: i64, email: &str, issued: i64) -> String {
    format!(
        "{subscriber_id}.{issued}.{}",
        &sign(secret, &format!("confirm:{subscriber_id}:{email}:{issued}"))[..32]
    )
}

/// When a confirmation token says it was issued, before it is checked.
pub fn confirm_issued(token: &str) -> Option<i64> {
    token.split('.').nth(1)?.parse().ok()
}

/// Checks a confirmation token against the stored address and its age.
pub fn verify_confirm_token(
    secret: &str,
    token: &str,
    email: &str,
    now: i64,
    ttl_secs: i64,
) -> Option<i64> {
    let id = token_subscriber(token)?;
    let issued = confirm_issued(token)?;
    let fresh = issued <= now + 60 && now - issued <= ttl_secs;
    (constant_time_eq(&confirm_token(secret, id, email, issued), token) && fresh).then_some(id)
}

/// The MAC must not leak through timing.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn sign(secret: &str, data: &str) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes any key length");
    mac.update(data.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assemble::{AlsoCovered, DigestSection, Story};
    use crate::domain::Section;

    fn digest() -> Digest {
        Digest {
            key: "2026-W47".into(),
            newsletter: "Roundup".into(),
            subject: "Roundup · 16 Nov: Chips <up>".into(),
            date_label: "Week of 16 November 2026".into(),
            intro: "Two stories.".into(),
            sections: vec![
                DigestSection {
                    section: Section::Tech,
                    title: "Technology".into(),
                    stories: vec![Story {
                        title: "Chips <script>alert(1)</script> up".into(),
                        link: Some("https://example.com/a?x=1&y=2".into()),
                        source: "Example".into(),
                        also: vec![AlsoCovered {
                            name: "Other".into(),
                            link: None,
                        }],
                        sources: vec![],
                        summary: vec!["Chip sales rose.".into(), "Everyone cheered.".into()],
                        reading_minutes: 3,
                    }],
                },
                DigestSection {
                    section: Section::Business,
                    title: "Business".into(),
                    stories: vec![Story {
                        title: "Bank merges".into(),
                        link: None,
                        source: "Money".into(),
                        also: vec![],
                        sources: vec![],
                        summary: vec!["Two banks merged.".into()],
                        reading_minutes: 1,
                    }],
                },
            ],
        }
    }

    fn renderer() -> Renderer {
        Renderer::new(
            &NewsletterSettings {
                from: "Roundup <news@example.com>".into(),
                secret: "k".into(),
                base_url: "https://r.example.com/".into(),
                postal_address: "1 Main St, Springfield".into(),
                ..Default::default()
            },
            None,
        )
    }

    fn recipient() -> Recipient {
        Recipient {
            id: 7,
            email: EmailAddress::parse("ada@example.com").unwrap(),
            name: None,
        }
    }

    /// Gmail clips a message whose HTML passes about 102 KB, hiding the
    /// footer and its unsubscribe link.
    #[test]
    fn a_full_edition_stays_under_gmail_clipping() {
        let long_story = |i: usize| {
            Story {
            title: format!("Story {i}: a headline as long as real ones get, with a colon and some detail & more"),
            link: Some(format!("https://news.example.com/2026/11/20/section/a-long-article-slug-number-{i}?ref=rss&utm_source=feed")),
            source: "A Publication With A Long Name".into(),
            also: (0..3)
                .map(|j| AlsoCovered {
                    name: format!("Another Outlet {j}"),
                    link: Some(format!("https://outlet{j}.example.org/world/2026/11/20/story-{i}")),
                })
                .collect(),
            sources: vec![],
            summary: vec![
                "Harbor Bank agreed on Tuesday to buy regional lender Northgate Financial for $8.4 billion in cash and shares, creating the fifth-largest bank on the East Coast.".into(),
                "Northgate shareholders will receive $42 a share, a 28% premium to the closing price.".into(),
            ],
            reading_minutes: 4,
        }
        };
        let mut d = digest();
        for section in &mut d.sections {
            section.stories = (0..10).map(long_story).collect();
        }
        let e = renderer().render(&d, &recipient()).unwrap();
        assert_eq!(e.html.matches("Story 9:").count(), 2);
        eprintln!("a 10 + 10-story edition: {} bytes of HTML", e.html.len());
        assert!(e.html.len() < 100_000, "{} bytes", e.html.len());
    }

    #[test]
    fn html_part_escapes_feed_text_and_has_the_footer() {
        let e = renderer().render(&digest(), &recipient()).unwrap();
        assert!(!e.html.contains("<script>alert"));
        assert!(e.html.contains("&#60;script&#62;") || e.html.contains("&lt;script&gt;"));
        assert!(e.html.contains("https://r.example.com/u/7."));
        assert!(e.html.contains("Sent by Roundup · 1 Main St, Springfield"));
        assert!(e.text.contains("Sent by Roundup · 1 Main St, Springfield"));
        assert!(e.html.contains("because ada@example.com subscribed"));
        assert!(e.html.contains("Technology") && e.html.contains("Business"));
    }

    fn style_colours(html: &str) -> Vec<String> {
        let re = regex::Regex::new(r#"(?i)style="[^"]*""#).unwrap();
        let hex = regex::Regex::new(r"#[0-9a-f]{6}").unwrap();
        re.find_iter(html)
            .flat_map(|m| hex.find_iter(m.as_str()).map(|h| h.as_str().to_string()))
            .collect()
    }

    /// The stylesheet is inlined (Gmail drops styles it cannot attach), only
    /// the media-query blocks stay in the head, and every colour the email
    /// uses comes from the light palette, which the dark block overrides.
    #[test]
    fn css_is_inlined_and_every_colour_has_a_dark_counterpart() {
        let e = renderer().render(&digest(), &recipient()).unwrap();
        let head = &e.html[..e.html.find("<body").unwrap()];
        assert_eq!(head.matches("<style").count(), 2, "{head}");
        assert!(head.contains("prefers-color-scheme: dark") && head.contains("max-width:480px"));
        assert!(head.contains("[data-ogsc]"));
        for class in [
            "summary",
            "meta",
            "title",
            "sec-title",
            "masthead",
            "px foot",
        ] {
            let tag = format!("class=\"{class}\"");
            let at = e.html.find(&tag).unwrap_or_else(|| panic!("no {class}"));
            let rest = &e.html[at..e.html[at..].find('>').unwrap() + at];
            assert!(rest.contains("style="), "{class} not inlined: {rest}");
        }
        let colours = style_colours(&e.html);
        assert!(colours.len() > 10);
        for c in &colours {
            assert!(
                LIGHT.all().contains(&c.as_str()),
                "{c} is not in the light palette"
            );
        }
        for c in DARK.all().iter().filter(|c| **c != DARK.rule) {
            assert!(head.contains(c), "dark block lacks {c}");
        }
    }

    /// A client that inverts some blocks and not others must not leave text
    /// on an unset background: every cell that holds text sets one.
    #[test]
    fn every_cell_sets_its_own_background() {
        let e = renderer().render(&digest(), &recipient()).unwrap();
        // Outlook's ghost table lives in conditional comments; it holds no text.
        let html = regex::Regex::new(r"(?s)<!--.*?-->")
            .unwrap()
            .replace_all(&e.html, "");
        let cells: Vec<&str> = html.split("<td").skip(1).collect();
        assert!(cells.len() > 4);
        for cell in cells {
            let tag = &cell[..cell.find('>').unwrap()];
            assert!(tag.contains("background-color"), "<td{tag}>");
        }
    }

    #[test]
    fn view_in_browser_appears_only_when_the_archive_is_on() {
        let off = renderer().render(&digest(), &recipient()).unwrap();
        assert!(!off.html.contains("in your browser") && !off.text.contains("in your browser"));
        let on = Renderer::new(
            &NewsletterSettings {
                secret: "k".into(),
                ..Default::default()
            },
            Some("https://r.example.com/archive".into()),
        )
        .render(&digest(), &recipient())
        .unwrap();
        let url = "https://r.example.com/archive/2026-W47.html";
        assert!(
            on.html.contains(&format!("<a href=\"{url}\"")),
            "{}",
            on.html
        );
        assert!(on.text.contains(&format!("View in your browser: {url}")));
    }

    /// One prepared edition addressed to many: each message carries its own
    /// address and token, escaped, and a story quoting the placeholder text
    /// is left alone.
    #[test]
    fn a_prepared_edition_fills_in_each_recipient() {
        let mut d = digest();
        d.sections[1].stories[0].summary = vec!["It said roundup-slot-recipient.".into()];
        let r = renderer();
        let prepared = r.prepare(&d).unwrap();
        let odd = Recipient {
            id: 8,
            email: EmailAddress::parse("o'neil&co@example.com").unwrap(),
            name: None,
        };
        for to in [recipient(), odd] {
            let e = prepared.render(&to).unwrap();
            assert!(!e.html.contains("roundup-slot-unsubscribe"));
            assert_eq!(e.html.matches("roundup-slot-recipient").count(), 1);
            let token = unsubscribe_token("k", to.id, to.email.as_str());
            assert!(
                e.html
                    .contains(&format!("href=\"https://r.example.com/u/{token}\""))
            );
            let shown = html_escape::encode_double_quoted_attribute(to.email.as_str()).to_string();
            assert!(
                e.html.contains(&format!("because {shown} subscribed")),
                "{shown}"
            );
            assert_eq!(e.html, r.render(&d, &to).unwrap().html);
        }
    }

    #[test]
    fn text_part_numbers_stories_across_sections() {
        let e = renderer().render(&digest(), &recipient()).unwrap();
        assert!(
            e.text.contains("1. Chips <script>alert(1)</script> up"),
            "{}",
            e.text
        );
        assert!(e.text.contains("2. Bank merges"));
        assert!(e.text.contains("   https://example.com/a?x=1&y=2"));
        assert!(e.text.contains("also covered by Other"));
        assert!(e.text.contains("Unsubscribe: https://r.example.com/u/7."));
    }

    #[test]
    fn headers_are_deterministic_and_signed() {
        let r = renderer();
        let a = r.render(&digest(), &recipient()).unwrap();
        let b = r.render(&digest(), &recipient()).unwrap();
        assert_eq!(a.message_id, b.message_id);
        assert!(a.message_id.ends_with("@example.com"));
        assert!(
            a.list_unsubscribe
                .starts_with("<https://r.example.com/u/7.")
        );
        let token = a
            .list_unsubscribe
            .trim_matches(['<', '>'])
            .rsplit('/')
            .next()
            .unwrap()
            .to_string();
        assert_eq!(
            verify_unsubscribe_token("k", &token, "ada@example.com"),
            Some(7)
        );
        assert_eq!(
            verify_unsubscribe_token("k", &token, "eve@example.com"),
            None
        );
        assert_eq!(
            verify_unsubscribe_token("other", &token, "ada@example.com"),
            None
        );
    }
}
