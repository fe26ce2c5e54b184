//! The binary as users and the scorers call it.

mod support;

use std::path::Path;
use std::process::Output;
use support::binary::{copy_dir, emls, roundup};

fn lines(o: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

#[test]
fn cluster_names_one_story_per_group_and_skips_bad_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let lines_in = [
        r#"{"id": 1, "title": "Kestrel unveils K9 laptop chip with twice the battery life", "text": "", "link": "https://a.example/k9?utm_source=rss", "source": "A", "published": "2026-11-20T10:00:00Z"}"#,
        r#"{"id": "two", "title": "K9 chip: a closer look", "text": "", "link": "https://a.example/k9", "source": "B", "published": "2026-11-20T12:00:00Z"}"#,
        "not json",
        r#"{"id": 3, "title": "Local team wins the cup", "text": "", "link": "https://c.example/cup", "source": "C", "published": "2026-11-21T09:00:00Z"}"#,
    ];
    std::fs::write(d.join("week.jsonl"), lines_in.join("\n")).unwrap();
    let o = roundup(&["cluster", "--json", "week.jsonl"], d);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("week.jsonl:3: skipped"));
    let story = |id: serde_json::Value| {
        lines(&o)
            .into_iter()
            .find(|l| l["id"] == id)
            .unwrap_or_else(|| panic!("no line for {id}"))["story"]
            .clone()
    };
    // One canonical link (the tracking parameter dropped) is one story.
    assert_eq!(story(1.into()), story("two".into()));
    assert_ne!(story(1.into()), story(3.into()));
    assert_eq!(lines(&o).len(), 3);
}

#[test]
fn measuring_commands_answer_one_json_line_per_file_even_for_bad_files() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("a.txt"), "Shares in Harbor Bank rose after profits beat forecasts. Investors cheered the results. The bank raised its dividend.").unwrap();
    std::fs::write(d.join("p.html"), "<html><head><title>T</title></head><body><article><p>Body text of the article is here and it is long enough.</p></article></body></html>").unwrap();
    std::fs::write(d.join("f.xml"), r#"<rss version="2.0"><channel><title>x</title><item><title>One</title></item><item><title>Two</title></item></channel></rss>"#).unwrap();
    std::fs::write(d.join("bad.xml"), "<rss><channel><item><title>unclosed").unwrap();

    let o = roundup(
        &[
            "summarize",
            "--sentences",
            "2",
            "--json",
            "a.txt",
            "missing.txt",
        ],
        d,
    );
    assert!(o.status.success());
    let l = lines(&o);
    assert_eq!(l.len(), 2);
    assert_eq!(l[0]["path"], "a.txt");
    assert_eq!(l[0]["sentences"].as_array().unwrap().len(), 2);
    assert!(l[1]["error"].as_str().unwrap().contains("missing.txt"));

    let l = lines(&roundup(&["classify", "--json", "a.txt", "missing.txt"], d));
    assert_eq!(l[0]["section"], "business");
    assert!(l[1].get("error").is_some());
    assert!(l[0].get("evidence").is_none(), "the contract is unchanged");
    let l = lines(&roundup(&["classify", "--json", "--explain", "a.txt"], d));
    assert_eq!(l[0]["section"], "business");
    assert!(l[0]["why"].as_str().unwrap().contains("business"));
    let evidence = l[0]["evidence"].as_array().unwrap();
    assert!(
        evidence
            .iter()
            .any(|e| e["topic"] == "business" && e["term"] == "bank")
    );

    let l = lines(&roundup(
        &["extract", "--json", "p.html", "missing.html"],
        d,
    ));
    assert!(l[0]["text"].as_str().unwrap().contains("Body text"));
    assert!(l[0].get("title").is_some());
    assert!(l[1].get("error").is_some());

    let l = lines(&roundup(
        &["parse-feed", "--json", "f.xml", "bad.xml", "missing.xml"],
        d,
    ));
    assert_eq!(l.len(), 3);
    assert_eq!(l[0]["ok"], true);
    assert_eq!(l[0]["entries"], 2);
    assert_eq!(l[0]["titles"], serde_json::json!(["One", "Two"]));
    assert!(l[1].get("ok").is_some());
    assert_eq!(l[2]["ok"], false);
}

#[test]
fn measuring_commands_read_as_text_without_json() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("a.txt"), "Harbor Bank lifts its dividend\n\nShares in Harbor Bank rose after profits beat forecasts. Investors cheered the results. The bank raised its dividend.").unwrap();
    let o = roundup(&["summarize", "a.txt"], d);
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("== a.txt"));
    assert_eq!(lines.next(), Some("title: Harbor Bank lifts its dividend"));
    assert_eq!(lines.next(), Some("sentences:"));
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("  - Shares in Harbor Bank rose")
    );
}

#[test]
fn preview_json_is_the_upcoming_edition_in_one_object() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("config"),
        &d.join("config"),
    );
    let refresh = roundup(&["refresh", "--config", "config/demo.toml"], d);
    assert!(refresh.status.success());
    let o = roundup(&["preview", "--json", "--config", "config/demo.toml"], d);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON object");
    assert!(v["edition"].as_str().unwrap().contains("-W"));
    assert!(!v["subject"].as_str().unwrap().is_empty());
    let sections = v["sections"].as_array().unwrap();
    assert!(!sections.is_empty());
    let mut merged = 0;
    for s in sections {
        assert!(["tech", "business"].contains(&s["section"].as_str().unwrap()));
        for st in s["stories"].as_array().unwrap() {
            assert!(!st["title"].as_str().unwrap().is_empty());
            assert!(!st["summary"].as_array().unwrap().is_empty());
            merged += st["sources"].as_array().unwrap().len();
        }
    }
    assert!(
        merged > 0,
        "the demo has stories carried by several feeds: {v}"
    );
    // Nothing written, nothing recorded.
    assert!(!d.join("outbox").exists() || emls(&d.join("outbox")).is_empty());
}

#[test]
fn check_config_connects_and_reports_each_part() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("config"),
        &d.join("config"),
    );
    let o = roundup(&["check-config", "--config", "config/demo.toml"], d);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{out}");
    for part in [
        "config: ",
        "database: ok",
        "serve: ok",
        "transport: ok (outbox",
    ] {
        assert!(out.contains(part), "{part}: {out}");
    }
    assert!(
        !d.join("outbox").exists() || emls(&d.join("outbox")).is_empty(),
        "sends nothing"
    );

    // A relay that is not there, and a secret too short to serve with.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    std::fs::write(
        d.join("smtp.toml"),
        format!(
            "[newsletter]\nsecret = \"short\"\n[database]\nurl = \"sqlite://data/c.db\"\n[delivery]\ntransport = \"smtp\"\n[smtp]\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\n[[feeds]]\nurl = \"f.xml\"\n"
        ),
    )
    .unwrap();
    let o = roundup(&["check-config", "--config", "smtp.toml"], d);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("database: ok"), "{out}");
    assert!(out.contains("serve: FAILED: newsletter.secret"), "{out}");
    assert!(out.contains("transport: FAILED: smtp 127.0.0.1"), "{out}");
    assert!(out.contains("cannot connect"), "{out}");
}

#[test]
fn config_errors_are_one_line_and_exit_1() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let o = roundup(&["run", "--config", "nope.toml"], d);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.starts_with("error: nope.toml: cannot read the config file"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");

    std::fs::write(
        d.join("c.toml"),
        "[newsletter]\nname = \"x\"\ncolour = \"blue\"\n[[feeds]]\nurl = \"f.xml\"\n",
    )
    .unwrap();
    let o = roundup(&["run", "--config", "c.toml"], d);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("c.toml: newsletter.colour: unknown field `colour`"),
        "{err}"
    );
}

#[test]
fn import_reports_bad_rows_by_line_and_keeps_the_good_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(
        d.join("feed.xml"),
        "<rss version=\"2.0\"><channel><title>x</title></channel></rss>",
    )
    .unwrap();
    std::fs::write(
        d.join("c.toml"),
        "[database]\nurl = \"sqlite://db/t.db\"\n[[feeds]]\nurl = \"feed.xml\"\n",
    )
    .unwrap();
    std::fs::write(
        d.join("subs.csv"),
        "email,name\nada@example.com,Ada\nnot-an-address,Bob\ngrace@example.org,\n",
    )
    .unwrap();
    let o = roundup(
        &["--config", "c.toml", "subscribers", "import", "subs.csv"],
        d,
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("subs.csv:3: `not-an-address` is not a valid e-mail address"),
        "{err}"
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("2 added"), "{out}");

    let o = roundup(&["--config", "c.toml", "subscribers", "list"], d);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("ada@example.com") && out.contains("grace@example.org"),
        "{out}"
    );
    assert!(out.contains("2 subscriber(s), 2 active"));

    let o = roundup(
        &[
            "--config",
            "c.toml",
            "subscribers",
            "remove",
            "ada@example.com",
        ],
        d,
    );
    assert!(o.status.success());
    let o = roundup(&["--config", "c.toml", "subscribers", "add", "bad@@x"], d);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn the_bundled_demo_runs_once_and_editors_can_preview_and_test() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("config"),
        &d.join("config"),
    );

    let o = roundup(&["run", "--config", "config/demo.toml"], d);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(out.contains("published edition"), "{out}");
    assert_eq!(
        emls(&d.join("outbox")).len(),
        3,
        "one .eml per demo subscriber"
    );
    let previews: Vec<_> = std::fs::read_dir(d.join("outbox"))
        .unwrap()
        .flatten()
        .map(|e| e.path().join("preview.html"))
        .filter(|p| p.exists())
        .collect();
    assert_eq!(previews.len(), 1);
    let html = std::fs::read_to_string(&previews[0]).unwrap();
    assert!(html.contains("Technology") && html.contains("Business"));
    // No page clutter reaches the reader.
    for junk in [
        "Share on",
        "Advertisement",
        "Sign up for our free newsletter",
        "Post comment",
        "cookies",
    ] {
        assert!(!html.contains(junk), "{junk:?} in the digest");
    }

    // The demo has the archive on: a page per edition, an index and a feed,
    // and every email links to its page.
    let archive = d.join("archive");
    let pages: Vec<String> = std::fs::read_dir(&archive)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".html") && n != "index.html")
        .collect();
    assert_eq!(pages.len(), 1, "{pages:?}");
    let page = std::fs::read_to_string(archive.join(&pages[0])).unwrap();
    assert!(page.contains("Technology") && page.contains("Business"));
    assert!(
        !page.contains("/u/"),
        "the public page carries no unsubscribe token"
    );
    let feed = std::fs::read(archive.join("feed.xml")).unwrap();
    let feed = feed_rs::parser::parse(&feed[..]).expect("the archive feed parses");
    assert_eq!(feed.entries.len(), 1);
    assert!(html.contains(&format!("http://localhost:8080/archive/{}", pages[0])));

    let o = roundup(&["run", "--config", "config/demo.toml"], d);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success());
    assert!(
        out.contains("already published") && out.contains("nothing to send"),
        "{out}"
    );
    assert_eq!(
        emls(&d.join("outbox")).len(),
        3,
        "the second run sends nothing"
    );

    let o = roundup(
        &["preview", "--config", "config/demo.toml", "--out", "p.html"],
        d,
    );
    assert!(o.status.success());
    assert!(
        std::fs::read_to_string(d.join("p.html"))
            .unwrap()
            .contains("Roundup Demo")
    );

    let o = roundup(
        &[
            "send-test",
            "--config",
            "config/demo.toml",
            "--to",
            "editor@example.com",
        ],
        d,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let all = emls(&d.join("outbox"));
    assert_eq!(all.len(), 4);
    let test_mail = all
        .iter()
        .find(|p| p.parent().unwrap().to_string_lossy().ends_with("-test"))
        .expect("test message");
    let raw = std::fs::read_to_string(test_mail).unwrap();
    assert!(raw.contains("editor@example.com") && raw.contains("[Test]"));

    let o = roundup(&["deliveries", "--config", "config/demo.toml"], d);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("sent 3"),
        "the test send stays outside the ledger"
    );
}

#[test]
fn editors_steer_the_next_edition_and_it_is_remembered() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("config"),
        &d.join("config"),
    );
    let c = ["--config", "config/demo.toml"];
    let run = |args: &[&str]| {
        let all: Vec<&str> = args.iter().chain(c.iter()).copied().collect();
        let o = roundup(&all, d);
        let out = String::from_utf8_lossy(&o.stdout).into_owned();
        assert!(
            o.status.success(),
            "{args:?}: {out}\n{}",
            String::from_utf8_lossy(&o.stderr)
        );
        out
    };
    run(&["refresh"]);
    let page = d.join("config/demo/pages/robot-kitchen.html");
    let robot = url::Url::from_file_path(std::fs::canonicalize(&page).unwrap())
        .unwrap()
        .to_string();
    // A runner-up on the demo; the pin puts it in.
    assert!(run(&["pin", &robot]).contains("goes into the next edition"));
    assert!(
        run(&["block", "--source", "the ledger daily"]).contains("blocked feed The Ledger Daily")
    );
    run(&["weight", "Market Street", "2"]);
    let listed = run(&["steering"]);
    assert!(
        listed.contains(&robot)
            && listed.contains("The Ledger Daily")
            && listed.contains("Market Street"),
        "{listed}"
    );

    let explained = run(&["preview", "--explain", "--out", "p.html"]);
    let robot_line = explained
        .lines()
        .position(|l| l.contains("Robot kitchen"))
        .expect("the pinned story is in");
    assert!(
        explained
            .lines()
            .nth(robot_line + 2)
            .unwrap()
            .contains("PINNED"),
        "{explained}"
    );
    assert!(
        !explained.contains("The Ledger Daily"),
        "a blocked feed never appears:\n{explained}"
    );
    assert!(explained.contains("weight 2.00"), "{explained}");
    assert!(explained.contains("runners-up:"));

    let published = run(&["run"]);
    assert!(published.contains("published edition"), "{published}");
    let eml = std::fs::read_to_string(&emls(&d.join("outbox"))[0]).unwrap();
    assert!(eml.contains("Robot kitchen"));
    assert!(!eml.contains("Ledger Daily"));
    // The edition carried the pin: it is spent.
    assert!(!run(&["steering"]).contains(&robot));
    assert!(run(&["weight", "market street", "--reset"]).contains("back to the config"));
    assert!(run(&["unblock", "--source", "The Ledger Daily"]).contains("unblocked"));
    let o = roundup(
        &[
            "weight",
            "Nowhere News",
            "2",
            "--config",
            "config/demo.toml",
        ],
        d,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no configured feed"));
}
