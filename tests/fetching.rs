//! Feed fetching against misbehaving servers. Every case must leave the
//! run going, record the feed's error in plain words, and lose nothing else.

use chrono::Utc;
use roundup::config::Config;
use roundup::pipeline::{self, App, FeedOutcome, RefreshReport};
use std::io::Write;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn rss(title: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title><item><title>{title}</title><link>https://example.com/{title}</link><guid>{title}</guid></item></channel></rss>"#
    )
}

fn app_config(dir: &std::path::Path, feeds: &[(&str, String)]) -> Config {
    let mut text = format!(
        "[database]\nurl = \"sqlite://{}\"\n[fetch]\ntimeout_secs = 2\nconnect_timeout_secs = 2\nmax_body_bytes = 65536\nper_host = 4\n",
        dir.join("t.db").display()
    );
    for (name, url) in feeds {
        text.push_str(&format!("[[feeds]]\nname = \"{name}\"\nurl = \"{url}\"\n"));
    }
    let path = dir.join("c.toml");
    Config::from_toml(&text, &path, &[]).unwrap()
}

async fn serve(s: &MockServer, at: &str, response: ResponseTemplate) {
    Mock::given(path(at)).respond_with(response).mount(s).await;
}

async fn single_feed_app(dir: &std::path::Path, url: String) -> App {
    App::new(app_config(dir, &[("f", url)])).await.unwrap()
}

fn outcome<'a>(r: &'a RefreshReport, name: &str) -> &'a FeedOutcome {
    &r.feeds
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no report for {name}"))
        .outcome
}

fn failed_with(r: &RefreshReport, name: &str, words: &str) {
    match outcome(r, name) {
        FeedOutcome::Failed(e) => assert!(e.contains(words), "{name}: {e:?} lacks {words:?}"),
        other => panic!("{name}: expected a failure, got {other:?}"),
    }
}

/// A server that sends headers, part of a body, then nothing.
async fn stalling_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = sock.read(&mut buf).await;
                let _ = sock
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: 5000\r\n\r\n<rss version=\"2.0\"><channel>")
                    .await;
                tokio::time::sleep(std::time::Duration::from_secs(30)).await;
            });
        }
    });
    format!("http://{addr}/feed")
}

fn gzip_bomb() -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![b' '; 1 << 20];
    for _ in 0..20 {
        e.write_all(&zeros).unwrap();
    }
    e.finish().unwrap()
}

#[tokio::test]
async fn misbehaving_feeds_fail_alone_in_plain_words() {
    let tmp = tempfile::tempdir().unwrap();
    let s = MockServer::start().await;
    let ok = |body: String| {
        ResponseTemplate::new(200)
            .insert_header("content-type", "application/rss+xml")
            .set_body_string(body)
    };
    serve(&s, "/good", ok(rss("good-item"))).await;
    serve(
        &s,
        "/big",
        ok(format!(
            "<rss version=\"2.0\"><channel>{}</channel></rss>",
            "x".repeat(100_000)
        )),
    )
    .await;
    serve(
        &s,
        "/bomb",
        ResponseTemplate::new(200)
            .insert_header("content-encoding", "gzip")
            .insert_header("content-type", "application/rss+xml")
            .set_body_bytes(gzip_bomb()),
    )
    .await;
    serve(
        &s,
        "/loop-a",
        ResponseTemplate::new(302).insert_header("location", "/loop-b"),
    )
    .await;
    serve(
        &s,
        "/loop-b",
        ResponseTemplate::new(302).insert_header("location", "/loop-a"),
    )
    .await;
    serve(
        &s,
        "/html",
        ResponseTemplate::new(200)
            .insert_header("content-type", "text/html")
            .set_body_string("<!DOCTYPE html><html><body>Welcome to our site</body></html>"),
    )
    .await;
    let cp1252 = b"<?xml version=\"1.0\" encoding=\"windows-1252\"?><rss version=\"2.0\"><channel><title>c</title><item><title>Caf\xe9 \x93open\x94</title><guid>1</guid></item></channel></rss>".to_vec();
    serve(
        &s,
        "/cp1252",
        ResponseTemplate::new(200).set_body_bytes(cp1252),
    )
    .await;
    let mislabelled = b"<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>c</title><item><title>na\xefve r\xe9sum\xe9</title><guid>2</guid></item></channel></rss>".to_vec();
    serve(
        &s,
        "/mislabelled",
        ResponseTemplate::new(200).set_body_bytes(mislabelled),
    )
    .await;
    serve(&s, "/empty", ResponseTemplate::new(200)).await;
    serve(&s, "/error", ResponseTemplate::new(500)).await;
    serve(&s, "/gone", ResponseTemplate::new(410)).await;
    let stall = stalling_server().await;

    let u = |p: &str| format!("{}{p}", s.uri());
    let feeds = vec![
        ("good", u("/good")),
        ("big", u("/big")),
        ("bomb", u("/bomb")),
        ("loop", u("/loop-a")),
        ("html", u("/html")),
        ("cp1252", u("/cp1252")),
        ("mislabelled", u("/mislabelled")),
        ("empty", u("/empty")),
        ("error", u("/error")),
        ("gone", u("/gone")),
        ("stall", stall),
    ];
    let app = App::new(app_config(tmp.path(), &feeds)).await.unwrap();
    let r = pipeline::refresh(&app, Utc::now()).await.unwrap();

    assert!(
        matches!(outcome(&r, "good"), FeedOutcome::Fetched { new: 1, .. }),
        "{:?}",
        outcome(&r, "good")
    );
    failed_with(&r, "big", "sent more than 65536 bytes");
    failed_with(&r, "bomb", "sent more than 65536 bytes");
    failed_with(&r, "loop", "redirects in a loop");
    failed_with(&r, "html", "HTML page, not a feed");
    failed_with(&r, "empty", "empty document");
    failed_with(&r, "error", "answered HTTP 500 (server error)");
    failed_with(&r, "stall", "did not finish answering within 2 s");
    assert!(matches!(outcome(&r, "gone"), FeedOutcome::Gone(e) if e.contains("410 Gone")));

    let titles: Vec<String> = app
        .store
        .items_since(chrono::DateTime::from_timestamp(0, 0).unwrap())
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.title)
        .collect();
    assert!(titles.contains(&"Café “open”".to_string()), "{titles:?}");
    assert!(titles.contains(&"naïve résumé".to_string()), "{titles:?}");
    assert!(titles.contains(&"good-item".to_string()));

    // Every failure is on record with its words, and the next check is pushed back.
    let status = app.store.feed_statuses().await.unwrap();
    for name in ["big", "bomb", "loop", "html", "empty", "error", "stall"] {
        let f = status.iter().find(|f| f.name == name).unwrap();
        assert_eq!(f.consecutive_errors, 1, "{name}");
        assert!(
            f.last_error.as_deref().is_some_and(|e| !e.is_empty()),
            "{name}"
        );
        assert!(f.next_check_at.is_some_and(|t| t > Utc::now()), "{name}");
    }
    assert!(status.iter().find(|f| f.name == "gone").unwrap().disabled);

    // The next refresh skips the failing and the gone ones, and says so.
    let again = pipeline::refresh(&app, Utc::now()).await.unwrap();
    for name in ["big", "error", "stall"] {
        assert!(
            matches!(outcome(&again, name), FeedOutcome::Skipped(w) if w.contains("backing off until")),
            "{name}"
        );
    }
    assert!(matches!(outcome(&again, "gone"), FeedOutcome::Skipped(w) if w.contains("disabled")));
}

#[tokio::test]
async fn conditional_get_round_trips_the_validators() {
    let tmp = tempfile::tempdir().unwrap();
    let s = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/feed"))
        .and(header("if-none-match", "\"v1\""))
        .respond_with(ResponseTemplate::new(304).insert_header("etag", "\"v2\""))
        .with_priority(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/feed"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("etag", "\"v1\"")
                .insert_header("last-modified", "Fri, 20 Nov 2026 10:00:00 GMT")
                .set_body_string(rss("one")),
        )
        .with_priority(2)
        .mount(&s)
        .await;
    let app = single_feed_app(tmp.path(), format!("{}/feed", s.uri())).await;

    let first = pipeline::refresh(&app, Utc::now()).await.unwrap();
    assert!(matches!(
        outcome(&first, "f"),
        FeedOutcome::Fetched { new: 1, .. }
    ));
    let second = pipeline::refresh(&app, Utc::now()).await.unwrap();
    assert!(matches!(outcome(&second, "f"), FeedOutcome::NotModified));

    let reqs = s.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 2);
    assert!(reqs[0].headers.get("if-none-match").is_none());
    assert_eq!(reqs[1].headers.get("if-none-match").unwrap(), "\"v1\"");
    assert_eq!(
        reqs[1].headers.get("if-modified-since").unwrap(),
        "Fri, 20 Nov 2026 10:00:00 GMT"
    );
    // The 304's new ETag is kept for next time.
    let etag: String = sqlx::query_scalar("SELECT etag FROM feeds")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    assert_eq!(etag, "\"v2\"");
    let st = app.store.feed_statuses().await.unwrap();
    assert_eq!(st[0].last_status.as_deref(), Some("not_modified"));
}

#[tokio::test]
async fn retry_after_on_429_sets_the_next_check() {
    let tmp = tempfile::tempdir().unwrap();
    let s = MockServer::start().await;
    serve(
        &s,
        "/feed",
        ResponseTemplate::new(429).insert_header("retry-after", "7200"),
    )
    .await;
    let app = single_feed_app(tmp.path(), format!("{}/feed", s.uri())).await;
    let before = Utc::now();
    let r = pipeline::refresh(&app, before).await.unwrap();
    failed_with(&r, "f", "HTTP 429 (too many requests)");
    let st = app.store.feed_statuses().await.unwrap();
    let next = st[0].next_check_at.unwrap();
    assert!(next >= before + chrono::Duration::seconds(7199), "{next}");
    let again = pipeline::refresh(&app, Utc::now()).await.unwrap();
    assert!(matches!(outcome(&again, "f"), FeedOutcome::Skipped(_)));
    assert_eq!(
        s.received_requests().await.unwrap().len(),
        1,
        "no request while backing off"
    );
}

#[tokio::test]
async fn a_permanent_redirect_updates_the_stored_url() {
    let tmp = tempfile::tempdir().unwrap();
    let s = MockServer::start().await;
    serve(
        &s,
        "/old",
        ResponseTemplate::new(301).insert_header("location", "/new"),
    )
    .await;
    serve(
        &s,
        "/new",
        ResponseTemplate::new(200).set_body_string(rss("moved")),
    )
    .await;
    let app = single_feed_app(tmp.path(), format!("{}/old", s.uri())).await;
    let r = pipeline::refresh(&app, Utc::now()).await.unwrap();
    match outcome(&r, "f") {
        FeedOutcome::Fetched {
            moved_to: Some(to),
            new: 1,
            ..
        } => assert_eq!(to, &format!("{}/new", s.uri())),
        other => panic!("{other:?}"),
    }
    let st = app.store.feed_statuses().await.unwrap();
    assert_eq!(
        st[0].fetch_url.as_deref(),
        Some(format!("{}/new", s.uri()).as_str())
    );
    pipeline::refresh(&app, Utc::now()).await.unwrap();
    let paths: Vec<String> = s
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.path().to_string())
        .collect();
    assert_eq!(
        paths,
        vec!["/old", "/new", "/new"],
        "the second refresh goes straight to the new address"
    );
}

#[tokio::test]
async fn a_temporary_redirect_is_followed_but_not_remembered() {
    let tmp = tempfile::tempdir().unwrap();
    let s = MockServer::start().await;
    serve(
        &s,
        "/feed",
        ResponseTemplate::new(302).insert_header("location", "/elsewhere"),
    )
    .await;
    serve(
        &s,
        "/elsewhere",
        ResponseTemplate::new(200).set_body_string(rss("x")),
    )
    .await;
    let app = single_feed_app(tmp.path(), format!("{}/feed", s.uri())).await;
    let r = pipeline::refresh(&app, Utc::now()).await.unwrap();
    assert!(matches!(
        outcome(&r, "f"),
        FeedOutcome::Fetched { moved_to: None, .. }
    ));
    assert!(
        app.store.feed_statuses().await.unwrap()[0]
            .fetch_url
            .is_none()
    );
}

#[tokio::test]
async fn edited_or_republished_items_are_not_new_and_dates_are_sane() {
    let tmp = tempfile::tempdir().unwrap();
    let s = MockServer::start().await;
    let future = (Utc::now() + chrono::Duration::days(30)).to_rfc2822();
    let v1 = format!(
        r#"<rss version="2.0"><channel><title>t</title>
<item><title>First title</title><guid>g-1</guid><link>https://example.com/a?utm_source=x</link><pubDate>{future}</pubDate></item>
<item><title>Undated</title><guid>g-2</guid></item></channel></rss>"#
    );
    Mock::given(path("/feed"))
        .respond_with(ResponseTemplate::new(200).set_body_string(v1))
        .up_to_n_times(1)
        .mount(&s)
        .await;
    // The publisher edits the title and re-publishes the item with a new
    // date; two items are new, one undated and one in a form RFC 3339 forbids.
    let v2 = r#"<rss version="2.0"><channel><title>t</title>
<item><title>Edited title</title><guid>g-1</guid><link>https://example.com/a</link><pubDate>Mon, 01 Jan 2035 00:00:00 GMT</pubDate></item>
<item><title>Undated</title><guid>g-2</guid></item>
<item><title>Undated later</title><guid>g-3</guid></item>
<item><title>One-digit hour</title><guid>g-4</guid><pubDate>2009-01-12T5:40:14-05:00</pubDate></item></channel></rss>"#;
    serve(&s, "/feed", ResponseTemplate::new(200).set_body_string(v2)).await;
    let app = single_feed_app(tmp.path(), format!("{}/feed", s.uri())).await;

    let first_seen = Utc::now();
    let later = first_seen + chrono::Duration::hours(5);
    let r = pipeline::refresh(&app, first_seen).await.unwrap();
    assert!(matches!(
        outcome(&r, "f"),
        FeedOutcome::Fetched { new: 2, .. }
    ));
    let r = pipeline::refresh(&app, later).await.unwrap();
    assert!(
        matches!(outcome(&r, "f"), FeedOutcome::Fetched { new: 2, .. }),
        "{:?}",
        outcome(&r, "f")
    );

    let items = app
        .store
        .items_since(chrono::DateTime::from_timestamp(0, 0).unwrap())
        .await
        .unwrap();
    let published = |title: &str| {
        items
            .iter()
            .find(|i| i.title == title)
            .unwrap_or_else(|| panic!("no item {title:?} in {items:?}"))
            .published
    };
    let near =
        |a: chrono::DateTime<Utc>, b: chrono::DateTime<Utc>| (a - b).num_seconds().abs() <= 1;
    // The future date was clamped, and did not move when the feed changed;
    // the first-seen version is kept.
    assert!(near(published("First title"), first_seen));
    // The first fetch only finds what already existed: its undated item is
    // old news. An undated item that appears later counts from then.
    assert_eq!(published("Undated"), chrono::DateTime::UNIX_EPOCH);
    assert!(near(published("Undated later"), later));
    assert_eq!(
        published("One-digit hour"),
        "2009-01-12T10:40:14Z"
            .parse::<chrono::DateTime<Utc>>()
            .unwrap()
    );
}

/// A server that answers every request after a pause, counting how many it
/// is answering at once.
async fn counting_server() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let now = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let seen = most.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let (now, most) = (now.clone(), most.clone());
            tokio::spawn(async move {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                let mut buf = [0u8; 4096];
                let _ = sock.read(&mut buf).await;
                let at_once = now.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(at_once, Ordering::SeqCst);
                // Long enough for every other request to arrive if nothing held it back.
                tokio::time::sleep(std::time::Duration::from_millis(150)).await;
                let body = rss("x");
                now.fetch_sub(1, Ordering::SeqCst);
                let _ = sock
                    .write_all(format!("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}", body.len()).as_bytes())
                    .await;
            });
        }
    });
    (format!("http://{addr}"), seen)
}

#[tokio::test]
async fn feeds_and_pages_share_the_per_host_allowance() {
    use roundup::feeds::fetch::{FetchOutcome, Fetcher};
    use roundup::feeds::guard::AddressPolicy;
    use roundup::feeds::{FeedLocation, FeedSource};
    let (base, most) = counting_server().await;
    let settings = roundup::config::FetchSettings {
        per_host: 2,
        ..Default::default()
    };
    let fetcher = Fetcher::new(&settings, AddressPolicy::new(&["127.0.0.1".into()], [])).unwrap();
    let feed = |i: usize| FeedSource {
        id: i as i64,
        location: FeedLocation::Remote(url::Url::parse(&format!("{base}/feed{i}")).unwrap()),
        name: format!("f{i}"),
        section_hint: None,
        weight: 1.0,
        etag: None,
        last_modified: None,
    };
    let feeds: Vec<FeedSource> = (0..4).map(feed).collect();
    let pages: Vec<String> = (0..4).map(|i| format!("{base}/page{i}")).collect();
    let (feed_results, page_results) = tokio::join!(
        futures_util::future::join_all(feeds.iter().map(|f| fetcher.fetch_feed(f, None))),
        futures_util::future::join_all(pages.iter().map(|p| fetcher.fetch_page(p, None))),
    );
    for r in feed_results.into_iter().chain(page_results) {
        assert!(matches!(r, Ok(FetchOutcome::Fetched { .. })), "{r:?}");
    }
    let most = most.load(std::sync::atomic::Ordering::SeqCst);
    assert!(most <= 2, "{most} requests reached one host at once");
    assert!(most >= 1);
}

#[tokio::test]
async fn a_feed_stores_only_its_newest_items_and_its_backlog_stays_out() {
    let tmp = tempfile::tempdir().unwrap();
    let now = Utc::now();
    let item = |n: i64| {
        let when = (now - chrono::Duration::hours(n)).to_rfc2822();
        format!(
            "<item><title>Story {n}</title><guid>g{n}</guid><link>https://example.com/{n}</link><pubDate>{when}</pubDate></item>"
        )
    };
    // Oldest first in the file: the dates decide, not the order.
    let write = |hours: &[i64]| {
        let items: String = hours.iter().map(|&n| item(n)).collect();
        std::fs::write(
            tmp.path().join("feed.xml"),
            format!(r#"<rss version="2.0"><channel><title>t</title>{items}</channel></rss>"#),
        )
        .unwrap();
    };
    write(&[60, 50, 40, 30, 20, 10]);
    let text = format!(
        "[database]\nurl = \"sqlite://{}\"\n[fetch]\nmax_items_per_fetch = 2\n[[feeds]]\nname = \"f\"\nurl = \"feed.xml\"\n",
        tmp.path().join("t.db").display()
    );
    let config = Config::from_toml(&text, &tmp.path().join("c.toml"), &[]).unwrap();
    let app = App::new(config).await.unwrap();

    let r = pipeline::refresh(&app, now).await.unwrap();
    match outcome(&r, "f") {
        FeedOutcome::Fetched {
            items: 6,
            new: 2,
            left_out: 4,
            ..
        } => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(stored_titles(&app).await, ["Story 10", "Story 20"]);
    let cut = app.store.feed_statuses().await.unwrap()[0].cut.unwrap();
    assert_eq!(cut.count, 4);

    // The next fetch takes a newer item, but not the backlog the first one cut.
    write(&[60, 50, 40, 30, 20, 10, 1]);
    let r = pipeline::refresh(&app, now + chrono::Duration::hours(1))
        .await
        .unwrap();
    match outcome(&r, "f") {
        FeedOutcome::Fetched {
            new: 1,
            left_out: 0,
            ..
        } => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(
        stored_titles(&app).await,
        ["Story 1", "Story 10", "Story 20"]
    );
    // The cut is still shown.
    assert_eq!(
        app.store.feed_statuses().await.unwrap()[0]
            .cut
            .map(|c| c.count),
        Some(4)
    );
}

async fn stored_titles(app: &App) -> Vec<String> {
    let since = Utc::now() - chrono::Duration::days(30);
    let mut t: Vec<String> = app
        .store
        .items_since(since)
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.title)
        .collect();
    t.sort();
    t
}
