//! DKIM: messages are signed over the headers that matter, and an
//! independent verifier (Python's dkimpy) accepts the signature. The verifier
//! runs when dkimpy is installed; CI installs it and sets
//! ROUNDUP_REQUIRE_DKIM_VERIFY=1 so that a missing verifier fails there
//! instead of skipping.

mod support;

use mail_parser::MessageParser;
use std::path::Path;
use std::process::Command;
use support::binary::{emls, roundup};

const FEED: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Signed</title>
<item><title>Chip maker unveils a faster laptop processor</title><link>https://example.com/k9</link><guid>k9</guid>
<pubDate>Fri, 20 Nov 2026 10:00:00 GMT</pubDate>
<description>Kestrel Semiconductor unveiled its K9 processor for thin laptops on Tuesday, claiming it doubles battery life compared with last year's chip. Laptop makers will ship the first machines with the chip in February, with prices starting at about $1,100.</description></item>
</channel></rss>
"#;

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

#[test]
fn messages_are_signed_and_an_independent_verifier_agrees() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("feed.xml"), FEED).unwrap();
    std::fs::write(
        d.join("c.toml"),
        format!(
            r#"
[newsletter]
from = "Roundup <news@example.com>"
secret = "s"
[database]
url = "sqlite://d.db"
[pick]
window_days = 36500
[dkim]
domain = "example.com"
selector = "test"
key_file = "{}"
[[feeds]]
url = "feed.xml"
section = "tech"
[[subscribers]]
email = "reader@example.org"
"#,
            fixture("dkim-test-rsa.pem").display()
        ),
    )
    .unwrap();
    let o = roundup(&["run", "--config", "c.toml"], d);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let eml = emls(&d.join("outbox")).pop().expect("one message");

    let raw = std::fs::read(&eml).unwrap();
    let msg = MessageParser::default().parse(&raw).unwrap();
    let sig = msg
        .header_raw("DKIM-Signature")
        .expect("a DKIM-Signature header")
        .to_ascii_lowercase();
    let sig: String = sig.split_whitespace().collect();
    assert!(
        sig.contains("d=example.com") && sig.contains("s=test"),
        "{sig}"
    );
    assert!(sig.contains("c=relaxed/relaxed"), "{sig}");
    for h in roundup::deliver::dkim::SIGNED_HEADERS {
        assert!(
            sig.contains(&h.to_ascii_lowercase()),
            "{h} is not signed: {sig}"
        );
    }

    let have_dkimpy = Command::new("python3")
        .args(["-c", "import dkim"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !have_dkimpy {
        assert!(
            std::env::var_os("ROUNDUP_REQUIRE_DKIM_VERIFY").is_none(),
            "dkimpy is required here: pip install dkimpy"
        );
        eprintln!("skipping the independent check: pip install dkimpy to run it");
        return;
    }
    let verdict = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/dkim_verify.py"))
        .arg(&eml)
        .arg(fixture("dkim-test-rsa.pub.b64"))
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&verdict.stdout);
    assert!(
        verdict.status.success() && said.trim() == "pass",
        "dkimpy: {said}{}",
        String::from_utf8_lossy(&verdict.stderr)
    );
}

#[test]
fn a_bad_key_stops_start_up_with_the_file_named() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("feed.xml"), FEED).unwrap();
    std::fs::write(d.join("bad.pem"), "not a key").unwrap();
    std::fs::write(
        d.join("c.toml"),
        "[database]\nurl = \"sqlite://d.db\"\n[dkim]\ndomain = \"example.com\"\nselector = \"s\"\nkey_file = \"bad.pem\"\n[[feeds]]\nurl = \"feed.xml\"\n",
    )
    .unwrap();
    let o = roundup(&["run", "--config", "c.toml"], d);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("dkim.key_file") && err.contains("bad.pem"),
        "{err}"
    );
}
