//! Pages and feed files built to exhaust the extractor or the memory: they
//! are refused with a reason, and everything around them still works. The
//! big inputs are made here (sparse where they can be), never committed.

mod support;

use std::path::Path;
use std::process::{Command, Output};
use support::binary::{copy_dir, emls, roundup};

const CAP: u64 = 10 * 1024 * 1024;

fn lines(o: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

fn deep_page(depth: usize) -> String {
    format!(
        "<html><body>{}hello{}</body></html>",
        "<div>".repeat(depth),
        "</div>".repeat(depth)
    )
}

/// Up to the fetch cap in short paragraphs, the widest page a fetch can
/// bring back.
fn wide_page() -> String {
    let p = "<p>The quarterly report showed steady growth in several regions this year.</p>\n";
    let n = (CAP as usize - 100) / p.len();
    format!("<html><body>{}</body></html>", p.repeat(n))
}

#[test]
fn pathological_pages_are_refused_with_the_reason_and_ordinary_ones_extract() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("deep.html"), deep_page(200_000)).unwrap();
    std::fs::write(d.join("wide.html"), wide_page()).unwrap();
    let body = "The port authority said on Monday that container traffic rose for a third month. "
        .repeat(5);
    std::fs::write(
        d.join("ok.html"),
        format!("<html><head><title>Port traffic</title></head><body><nav>Home</nav><article><h1>Port traffic rises</h1><p>{body}</p><p>{body}</p></article></body></html>"),
    )
    .unwrap();

    let o = roundup(
        &["extract", "--json", "deep.html", "wide.html", "ok.html"],
        d,
    );
    assert!(o.status.success());
    let l = lines(&o);
    assert_eq!(l.len(), 3);
    assert_eq!(l[0]["error"], "page nested 200002 deep, over the 400 limit");
    assert_eq!(l[0]["text"], "");
    assert_eq!(l[1]["error"], "page has more than 50000 elements");
    assert!(l[2].get("error").is_none(), "{}", l[2]);
    assert!(
        l[2]["text"]
            .as_str()
            .unwrap()
            .contains("container traffic rose")
    );
    assert!(!l[2]["text"].as_str().unwrap().contains("Home"));

    // The summarizer reads pages the same way and says the same.
    let l = lines(&roundup(&["summarize", "--json", "deep.html"], d));
    assert_eq!(l[0]["error"], "page nested 200002 deep, over the 400 limit");
}

#[test]
fn parse_feed_refuses_files_over_the_cap_without_reading_them() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    // 200 MB that take no disk: reading it whole would show in the RSS.
    std::fs::File::create(d.join("huge.xml"))
        .unwrap()
        .set_len(200_000_000)
        .unwrap();
    let feed = format!(
        r#"<rss version="2.0"><channel><title>x</title>{}</channel></rss>"#,
        "<item><title>One</title><description>Some words about it.</description></item>".repeat(30)
    );
    assert!(feed.len() > 2048);
    std::fs::write(d.join("f.xml"), &feed).unwrap();

    let l = lines(&roundup(&["parse-feed", "--json", "huge.xml", "f.xml"], d));
    assert_eq!(l[0]["ok"], false);
    assert_eq!(
        l[0]["error"],
        "huge.xml is larger than the 10485760-byte cap (fetch.max_body_bytes; --max-bytes)"
    );
    assert_eq!(l[1]["ok"], true);
    assert_eq!(l[1]["entries"], 30);

    // The flag moves the cap; a file exactly at it is read.
    let at = feed.len().to_string();
    let below = (feed.len() - 1).to_string();
    let l = lines(&roundup(
        &["parse-feed", "--json", "--max-bytes", &at, "f.xml"],
        d,
    ));
    assert_eq!(l[0]["ok"], true);
    let l = lines(&roundup(
        &["parse-feed", "--json", "--max-bytes", &below, "f.xml"],
        d,
    ));
    assert!(
        l[0]["error"]
            .as_str()
            .unwrap()
            .contains(&format!("{below}-byte cap"))
    );
}

fn demo(d: &Path) {
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("config"),
        &d.join("config"),
    );
}

#[test]
fn a_configured_local_feed_over_the_cap_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    demo(d);
    std::fs::File::create(d.join("config/demo/techwire.xml"))
        .unwrap()
        .set_len(200_000_000)
        .unwrap();
    let o = roundup(&["refresh", "--config", "config/demo.toml"], d);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("more than 10485760 bytes"), "{out}");
    // The other feeds are read all the same.
    assert!(out.contains("Market Street"), "{out}");
}

#[test]
fn stories_linking_to_a_refused_page_keep_the_feed_text() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    demo(d);
    let deep = deep_page(200_000);
    for e in std::fs::read_dir(d.join("config/demo/pages")).unwrap() {
        std::fs::write(e.unwrap().path(), &deep).unwrap();
    }
    let o = Command::new(env!("CARGO_BIN_EXE_roundup"))
        .args(["run", "--config", "config/demo.toml"])
        .current_dir(d)
        .env_remove("ROUNDUP_CONFIG")
        .env("ROUNDUP_LOG", "roundup=warn")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    let log = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{out}\n{log}");
    assert!(out.contains("published edition"), "{out}");
    assert!(
        log.contains("page nested 200002 deep, over the 400 limit")
            && log.contains("using the feed's text"),
        "{log}"
    );
    // Every demo story links to one of those pages: the stories are still
    // there, told from the feeds' text.
    let stories: usize = out
        .split("with ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(stories >= 5, "{out}");
    assert!(!emls(&d.join("outbox")).is_empty());
}

#[test]
fn a_feed_item_with_pathological_markup_keeps_its_words_and_refresh_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    demo(d);
    let deep = format!(
        "<p>Harbor Bank raised its dividend after a record quarter.</p>{}",
        deep_page(200_000)
    );
    let escaped = deep.replace('&', "&amp;").replace('<', "&lt;");
    std::fs::write(
        d.join("config/demo/techwire.xml"),
        format!(
            r#"<rss version="2.0"><channel><title>TechWire</title><item><title>Harbor Bank dividend</title><link>https://example.com/harbor</link><description>{escaped}</description></item></channel></rss>"#
        ),
    )
    .unwrap();
    let o = roundup(&["refresh", "--config", "config/demo.toml"], d);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(out.contains("TechWire"), "{out}");
}

#[tokio::test]
async fn a_local_file_without_a_size_is_read_only_up_to_the_cap() {
    use roundup::config::FetchSettings;
    use roundup::feeds::fetch::{FetchError, Fetcher};
    use roundup::feeds::guard::AddressPolicy;
    // /dev/zero reports no size and never ends, as a pipe or a device can.
    let settings = FetchSettings {
        max_body_bytes: 4096,
        ..FetchSettings::default()
    };
    let fetcher = Fetcher::new(&settings, AddressPolicy::new(&[], [])).unwrap();
    let r = fetcher
        .fetch_page("file:///dev/zero", Some(std::path::Path::new("/dev")))
        .await;
    assert!(
        matches!(r, Err(FetchError::TooLarge { limit: 4096, .. })),
        "{:?}",
        r.map(|_| "fetched")
    );
}
