//! A hostile feed item all the way to the subscriber's inbox: nothing in it
//! may execute, link to script, or add a header.

mod support;

use mail_parser::MessageParser;
use support::binary::{emls, roundup};

const HOSTILE: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Hostile</title>
<item><title>Chip maker unveils processor&#13;&#10;Bcc: victim@example.net</title>
<link>javascript:alert(1)</link><guid>h1</guid><pubDate>Fri, 20 Nov 2026 10:00:00 GMT</pubDate>
<content:encoded><![CDATA[<p>Kestrel Semiconductor unveiled its K9 processor for laptops on Tuesday, claiming it doubles battery life.<script>alert('x')</script></p>
<p><img src="x" onerror="alert(2)">The company said the chip is built on a new process at its plant in Dresden and combines efficiency cores with performance cores for software.</p>
<p style="width: expression(alert(3))"><a href="javascript:alert(4)">Click</a> Laptop makers will ship the first machines with the chip in February, with prices starting at about $1,100 for the computer.</p>]]></content:encoded></item>
<item><title>&lt;img src=x onerror=alert(5)&gt;Browsers agree on passkeys</title>
<link>data:text/html,&lt;script&gt;alert(6)&lt;/script&gt;</link><guid>h2</guid><pubDate>Fri, 20 Nov 2026 11:00:00 GMT</pubDate>
<description>The makers of the four most used web browsers agreed on a common format for moving passkeys between them, the companies said on Friday. &lt;script&gt;alert(7)&lt;/script&gt;</description></item>
</channel></rss>
"#;

const CONFIG: &str = r#"
[newsletter]
secret = "test-secret"
[database]
url = "sqlite://d.db"
[pick]
window_days = 36500
[[feeds]]
url = "feed.xml"
section = "tech"
[[subscribers]]
email = "reader@example.com"
"#;

#[test]
fn nothing_from_a_hostile_feed_executes_or_injects_a_header() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("feed.xml"), HOSTILE).unwrap();
    std::fs::write(d.join("c.toml"), CONFIG).unwrap();
    let o = roundup(&["run", "--config", "c.toml"], d);
    assert!(
        o.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    let emls = emls(&d.join("outbox"));
    assert_eq!(emls.len(), 1, "one subscriber, one message");
    let raw = std::fs::read(&emls[0]).unwrap();
    let msg = MessageParser::default().parse(&raw).unwrap();

    // No header was injected: the title's CRLF became a space inside Subject.
    let names: Vec<String> = msg
        .headers()
        .iter()
        .map(|h| h.name().to_ascii_lowercase())
        .collect();
    assert!(!names.iter().any(|n| n == "bcc" || n == "cc"), "{names:?}");
    let subject = msg.subject().unwrap();
    assert!(!subject.contains(['\r', '\n']), "{subject:?}");
    assert_eq!(msg.to().unwrap().iter().count(), 1);

    let html = msg.body_html(0).unwrap().to_lowercase();
    let text = msg.body_text(0).unwrap().to_lowercase();
    for (part, body) in [("html", &html), ("text", &text)] {
        for bad in [
            "<script",
            "javascript:",
            "data:text",
            "onerror",
            "expression(",
            "alert(",
        ] {
            assert!(!body.contains(bad), "{part} part carries {bad:?}:\n{body}");
        }
    }
    // The stories themselves survive, as text.
    assert!(
        html.contains("k9 processor") || html.contains("chip maker"),
        "{html}"
    );
    assert!(html.contains("passkeys"), "{html}");
}
