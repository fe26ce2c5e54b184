//! The whole job against fake feeds over HTTP, a temporary SQLite database
//! and an SMTP server embedded in the test process.

mod support;

use chrono::{Duration, Utc};
use mail_parser::MessageParser;
use roundup::config::Config;
use roundup::pipeline::{self, App, FeedOutcome};
use support::SmtpSink;
use support::db::TestDb;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn rfc2822(hours_ago: i64) -> String {
    (Utc::now() - Duration::hours(hours_ago)).to_rfc2822()
}

fn rfc3339(hours_ago: i64) -> String {
    (Utc::now() - Duration::hours(hours_ago)).to_rfc3339()
}

const CHIP_STORY: &str = "<p>Kestrel Semiconductor unveiled its K9 processor for thin laptops on Tuesday, claiming it doubles battery life compared with last year's chip while running office software faster.</p><p>The company said the K9 is built on a new process at its plant in Dresden and combines efficiency cores with performance cores.</p><p>Laptop makers Orrin and Valebrook will ship the first machines with the chip in February, with prices starting at about $1,100.</p><p>Analysts said the launch puts pressure on rivals whose laptop chips still rely on older manufacturing processes.</p>";

fn tech_rss(base: &str) -> String {
    format!(
        r#"<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Tech Test</title>
<item><title>Kestrel unveils K9 laptop chip</title><link>{base}/a/k9</link><guid>k9</guid><pubDate>{}</pubDate><content:encoded><![CDATA[{CHIP_STORY}]]></content:encoded></item>
<item><title>Browsers agree to sync passkeys</title><link>{base}/a/passkeys</link><guid>pk</guid><pubDate>{}</pubDate><description>The makers of the four most used web browsers agreed on a common format for moving passkeys between them, the companies said on Friday.</description></item>
</channel></rss>"#,
        rfc2822(5),
        rfc2822(8)
    )
}

fn business_json(base: &str) -> String {
    serde_json::json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Business Test",
        "items": [
            {"id": "m1", "url": format!("{base}/b/merger"), "title": "Harbor Bank agrees to buy Northgate",
             "date_published": rfc3339(3),
             "content_html": "<p>Harbor Bank agreed on Tuesday to buy regional lender Northgate Financial for $8.4 billion in cash and shares. Northgate shareholders will receive $42 a share, a 28% premium to the closing price. The deal needs approval from regulators and should close next year.</p>"},
            {"id": "m2", "url": format!("{base}/b/rates"), "title": "Central bank holds interest rates",
             "date_published": rfc3339(20),
             "content_html": "<p>The central bank kept its main interest rate unchanged on Thursday and signalled cuts next year as inflation slows. Bond yields fell after the decision.</p>"}
        ]
    })
    .to_string()
}

fn atom_excerpts(base: &str) -> String {
    format!(
        r#"<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Circuit Test</title><id>urn:c</id><updated>{0}</updated>
<entry><title>Satellite broadband reaches rural Europe</title><id>urn:c:1</id><link href="{base}/pages/lowsky"/><updated>{0}</updated><summary>Lowsky began selling satellite broadband.</summary></entry></feed>"#,
        rfc3339(2)
    )
}

const PAGE: &str = r#"<html><head><title>Satellite broadband | Circuit</title></head><body>
<nav><a href="/">Home</a><a href="/tech">Tech</a></nav>
<div class="share-bar">Share on X</div>
<article><h1>Satellite broadband reaches rural Europe</h1>
<p>Satellite operator Lowsky began selling broadband service in rural areas of twelve European countries on Wednesday, at a monthly price that undercuts rivals by almost half.</p>
<p>The service uses hundreds of satellites in low orbit and reaches download speeds high enough for video calls and streaming in homes that fibre does not reach.</p>
<p>Customers need a dish the size of a pizza box. The company said it had signed up eighty thousand customers in a trial in Ireland and Portugal.</p>
</article>
<aside class="newsletter-promo">Subscribe to our newsletter for more stories like this.</aside>
<section class="comments"><p>great news for my village, finally some decent internet out here.</p></section>
</body></html>"#;

async fn feeds_server() -> MockServer {
    let server = MockServer::start().await;
    let base = server.uri();
    let ok = |body: String, ct: &str| {
        ResponseTemplate::new(200)
            .insert_header("content-type", ct)
            .set_body_string(body)
    };
    Mock::given(method("GET"))
        .and(path("/tech.xml"))
        .respond_with(ok(tech_rss(&base), "application/rss+xml"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/biz.json"))
        .respond_with(ok(business_json(&base), "application/feed+json"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/circuit.atom"))
        .respond_with(ok(atom_excerpts(&base), "application/atom+xml"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/pages/lowsky"))
        .respond_with(ok(PAGE.into(), "text/html"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/site"))
        .respond_with(ok(
            "<!doctype html><html><body>Welcome</body></html>".into(),
            "text/html",
        ))
        .mount(&server)
        .await;
    server
}

fn config(dir: &std::path::Path, db: &TestDb, feeds: &str, smtp_port: u16) -> Config {
    let text = format!(
        r#"
[newsletter]
name = "Test Roundup"
from = "Test Roundup <digest@example.com>"
base_url = "https://roundup.example.com"
list_id = "test.roundup.example.com"
timezone = "UTC"
secret = "test-secret"

[database]
url = "{db}"

[delivery]
transport = "smtp"

[smtp]
host = "127.0.0.1"
port = {smtp_port}
tls = "none"

[[feeds]]
url = "{feeds}/tech.xml"
name = "Tech Test"
section = "tech"

[[feeds]]
url = "{feeds}/biz.json"
name = "Business Test"
section = "business"

[[feeds]]
url = "{feeds}/circuit.atom"
name = "Circuit Test"
section = "tech"

[[feeds]]
url = "{feeds}/site"
name = "Not A Feed"

[[subscribers]]
email = "ada@example.com"
[[subscribers]]
email = "grace@example.org"
name = "Grace Hopper"
[[subscribers]]
email = "alan@example.net"
"#,
        db = db.url,
    );
    let path = dir.join("roundup.toml");
    std::fs::write(&path, &text).unwrap();
    Config::from_toml(&text, &path, &[]).unwrap()
}

async fn one_edition_end_to_end_then_nothing_twice(db: TestDb) {
    let tmp = tempfile::tempdir().unwrap();
    let feeds = feeds_server().await;
    let smtp = SmtpSink::start().await;
    let app = App::new(config(tmp.path(), &db, &feeds.uri(), smtp.port))
        .await
        .unwrap();

    let report = pipeline::run_once(&app, Utc::now(), None).await.unwrap();

    // The HTML "feed" fails alone and says why; the others go through.
    let failed: Vec<_> = report.refresh.failures().collect();
    assert_eq!(failed.len(), 1, "{:?}", report.refresh);
    assert_eq!(failed[0].name, "Not A Feed");
    match &failed[0].outcome {
        FeedOutcome::Failed(e) => assert!(e.contains("HTML page, not a feed"), "{e}"),
        other => panic!("{other:?}"),
    }
    assert!(report.published.created);
    assert!(report.has_failures());

    let received = smtp.received();
    assert_eq!(received.len(), 3, "one message per subscriber");
    let mut rcpts: Vec<String> = received.iter().flat_map(|m| m.rcpt_to.clone()).collect();
    rcpts.sort();
    assert_eq!(
        rcpts,
        vec!["ada@example.com", "alan@example.net", "grace@example.org"]
    );

    let mut ids = Vec::new();
    for m in &received {
        let msg = MessageParser::default()
            .parse(&m.data)
            .expect("parsable message");
        let ct = msg.header_raw("Content-Type").unwrap_or_default();
        assert!(ct.contains("multipart/alternative"), "{ct}");
        assert!(
            msg.subject()
                .unwrap_or_default()
                .starts_with("Test Roundup")
        );
        let unsub = msg
            .header_raw("List-Unsubscribe")
            .expect("List-Unsubscribe")
            .trim()
            .to_string();
        assert!(
            unsub.starts_with("<https://roundup.example.com/u/"),
            "{unsub}"
        );
        assert_eq!(
            msg.header_raw("List-Unsubscribe-Post").map(str::trim),
            Some("List-Unsubscribe=One-Click")
        );
        assert!(msg.header_raw("Date").is_some());
        ids.push(msg.message_id().expect("Message-ID").to_string());

        let text = msg.body_text(0).expect("text part").to_string();
        let html = msg.body_html(0).expect("html part").to_string();
        for title in [
            "Kestrel unveils K9 laptop chip",
            "Harbor Bank agrees to buy Northgate",
            "Satellite broadband reaches rural Europe",
        ] {
            assert!(text.contains(title), "text part lacks {title}:\n{text}");
            assert!(html.contains(title), "html part lacks {title}");
        }
        // The excerpt-only item got its summary from the fetched page, without the clutter.
        assert!(text.contains("twelve European countries"), "{text}");
        for junk in ["Share on X", "newsletter", "decent internet"] {
            assert!(!text.contains(junk), "clutter {junk:?} in:\n{text}");
        }
        assert!(text.contains("== TECHNOLOGY ==") && text.contains("== BUSINESS =="));
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3, "Message-IDs are unique");

    // The same edition again: nothing new is built or sent.
    let again = pipeline::run_once(&app, Utc::now(), None).await.unwrap();
    assert!(!again.published.created);
    assert_eq!(again.delivery.sent_now, 0);
    assert_eq!(again.delivery.counts.sent, 3);
    assert_eq!(smtp.received().len(), 3);
}

async fn an_unreachable_feed_is_reported_and_the_edition_still_goes_out(db: TestDb) {
    let tmp = tempfile::tempdir().unwrap();
    let feeds = feeds_server().await;
    let smtp = SmtpSink::start().await;
    let mut cfg = config(tmp.path(), &db, &feeds.uri(), smtp.port);
    // Nothing listens on port 9 of loopback.
    cfg.feeds[3].url = "http://127.0.0.1:9/feed.xml".into();
    let app = App::new(cfg).await.unwrap();
    let report = pipeline::run_once(&app, Utc::now(), None).await.unwrap();
    let failed: Vec<_> = report.refresh.failures().collect();
    assert_eq!(failed.len(), 1);
    match &failed[0].outcome {
        FeedOutcome::Failed(e) => assert!(
            e.contains("cannot reach http://127.0.0.1:9/feed.xml"),
            "{e}"
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(smtp.received().len(), 3);
    let status = app.store.feed_statuses().await.unwrap();
    let bad = status.iter().find(|f| f.url.contains(":9/")).unwrap();
    assert_eq!(bad.consecutive_errors, 1);
    assert!(bad.next_check_at.is_some());
}

/// One story carried by eight feeds, each item only an excerpt: the digest
/// needs one good text, so only a few of the eight pages are fetched.
#[tokio::test]
async fn a_story_in_many_feeds_fetches_a_few_of_its_pages() {
    let tmp = tempfile::tempdir().unwrap();
    let db = support::db::sqlite();
    let server = MockServer::start().await;
    let base = server.uri();
    let mut feeds = String::new();
    for i in 0..8 {
        let rss = format!(
            r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Wire {i}</title>
<item><title>Satellite broadband reaches rural Europe</title><link>{base}/pages/lowsky-{i}</link><guid>s{i}</guid><pubDate>{}</pubDate><description>Lowsky began selling satellite broadband in rural areas of twelve European countries.</description></item>
</channel></rss>"#,
            rfc2822(2 + i)
        );
        Mock::given(method("GET"))
            .and(path(format!("/wire{i}.xml")))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("content-type", "application/rss+xml")
                    .set_body_string(rss),
            )
            .mount(&server)
            .await;
        feeds.push_str(&format!(
            "[[feeds]]\nurl = \"{base}/wire{i}.xml\"\nname = \"Wire {i}\"\nsection = \"tech\"\n"
        ));
    }
    Mock::given(method("GET"))
        .and(wiremock::matchers::path_regex("^/pages/"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "text/html")
                .set_body_string(PAGE),
        )
        .mount(&server)
        .await;
    let text = format!(
        "[newsletter]\nname = \"T\"\nfrom = \"T <digest@example.com>\"\nbase_url = \"https://t.example.com\"\n\
         list_id = \"t.example.com\"\nsecret = \"test-secret\"\n[database]\nurl = \"{}\"\n{feeds}",
        db.url
    );
    let path = tmp.path().join("roundup.toml");
    std::fs::write(&path, &text).unwrap();
    let app = App::new(Config::from_toml(&text, &path, &[]).unwrap())
        .await
        .unwrap();
    pipeline::refresh(&app, Utc::now()).await.unwrap();
    let published = pipeline::publish(&app, Utc::now()).await.unwrap();
    let lead = &published.edition.digest.sections[0].stories[0];
    assert!(
        lead.summary.join(" ").contains("pizza box")
            || lead.summary.join(" ").contains("undercuts"),
        "the story's text comes from a fetched page: {:?}",
        lead.summary
    );
    let pages = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path().starts_with("/pages/"))
        .count();
    assert_eq!(pages, 3, "pages fetched for one story in eight feeds");
}

// Both scenarios, on SQLite and on PostgreSQL.
on_each_database!(
    one_edition_end_to_end_then_nothing_twice,
    an_unreachable_feed_is_reported_and_the_edition_still_goes_out,
);
