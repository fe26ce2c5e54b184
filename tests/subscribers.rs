//! The subscriber list through the CLI and the config, as an operator (or
//! a careless CSV) would fill it: names that try to become headers, people
//! who said no, one mailbox in several spellings.

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;
use support::binary::{copy_dir, emls, roundup};
use support::mail::{assert_no_injected_header, to_header};

/// The demo config in a folder of its own, run from that folder.
struct Demo {
    dir: tempfile::TempDir,
}

impl Demo {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("config"),
            &dir.path().join("config"),
        );
        Self { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn run(&self, args: &[&str]) -> Output {
        let mut all = vec!["--config", "config/demo.toml"];
        all.extend_from_slice(args);
        roundup(&all, self.path())
    }

    fn emls(&self) -> Vec<PathBuf> {
        emls(&self.path().join("outbox"))
    }

    fn list(&self) -> String {
        let o = self.run(&["subscribers", "list"]);
        assert!(o.status.success(), "{}", text(&o));
        String::from_utf8_lossy(&o.stdout).to_string()
    }
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The To header of each message, after checking that no header was
/// planted.
fn to_headers(files: &[PathBuf]) -> Vec<String> {
    files
        .iter()
        .map(|f| {
            let raw = std::fs::read(f).unwrap();
            assert_no_injected_header(&raw);
            to_header(&raw)
        })
        .collect()
}

#[test]
fn a_line_break_in_a_name_never_becomes_a_header_from_the_cli_csv_or_config() {
    let demo = Demo::new();
    let cfg = demo.path().join("config/demo.toml");
    let mut toml = std::fs::read_to_string(&cfg).unwrap();
    toml.push_str(
        "\n[[subscribers]]\nemail = \"carol@example.com\"\nname = \"Carol\\r\\nBcc: planted@evil.example\"\n",
    );
    std::fs::write(&cfg, toml).unwrap();

    let o = demo.run(&[
        "subscribers",
        "add",
        "eve@example.com",
        "--name",
        "Eve\r\nBcc: planted@evil.example",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    std::fs::write(
        demo.path().join("people.csv"),
        format!(
            "email,name\nmallory@example.com,\"Mal\r\nBcc: planted@evil.example\"\ntrent@example.com,{}\n",
            "T".repeat(5000)
        ),
    )
    .unwrap();
    let o = demo.run(&["subscribers", "import", "people.csv"]);
    assert!(o.status.success(), "{}", text(&o));

    let o = demo.run(&["run"]);
    let code = o.status.code();
    assert!(matches!(code, Some(0) | Some(2)), "{}", text(&o));
    let files = demo.emls();
    // The demo's three readers, Carol, Eve, Mallory and Trent.
    assert_eq!(files.len(), 7, "{}", text(&o));
    let to = to_headers(&files);
    let mut recipients: Vec<String> = to
        .iter()
        .map(|t| {
            let start = t.rfind('<').map(|i| i + 1).unwrap_or(3);
            t[start..].trim_end_matches('>').trim().to_string()
        })
        .collect();
    recipients.sort();
    recipients.dedup();
    assert_eq!(recipients.len(), 7, "each once: {to:?}");
    let list = demo.list();
    assert!(list.contains("Eve Bcc: planted@evil.example"), "{list}");
    assert!(list.contains("Carol Bcc: planted@evil.example"), "{list}");

    let again = demo.run(&["run"]);
    assert!(again.status.success(), "{}", text(&again));
    assert!(String::from_utf8_lossy(&again.stdout).contains("nothing to send"));
    assert_eq!(demo.emls().len(), 7, "nothing sent twice");
}

#[test]
fn an_import_or_an_add_never_brings_back_someone_who_said_no() {
    let demo = Demo::new();
    assert!(
        demo.run(&["subscribers", "add", "zoe@example.com"])
            .status
            .success()
    );
    let o = demo.run(&["subscribers", "remove", "Ada@Example.com"]);
    assert!(o.status.success(), "{}", text(&o));
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();

    std::fs::write(
        demo.path().join("list.csv"),
        "email,name\nnew@example.com,New\nADA@EXAMPLE.COM,Ada Again\n",
    )
    .unwrap();
    let o = demo.run(&["subscribers", "import", "list.csv"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains(&format!("list.csv:3: skipped: unsubscribed on {today}")),
        "{}",
        text(&o)
    );
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("1 added"),
        "{}",
        text(&o)
    );

    let o = demo.run(&["subscribers", "add", "ada@example.com", "--name", "X"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains(&format!("is unsubscribed on {today}")) && stderr.contains("only they"),
        "{}",
        text(&o)
    );
    let list = demo.list();
    let ada: Vec<&str> = list.lines().filter(|l| l.contains("ada@")).collect();
    assert_eq!(ada.len(), 1, "{list}");
    assert!(
        ada[0].contains("unsubscribed") && !ada[0].contains("Again"),
        "{list}"
    );

    let o = demo.run(&["run"]);
    assert!(o.status.success(), "{}", text(&o));
    let to = to_headers(&demo.emls()).join("\n").to_ascii_lowercase();
    assert!(!to.contains("ada@example.com"), "{to}");
    assert!(to.contains("new@example.com"), "{to}");
}

#[test]
fn one_mailbox_is_one_subscriber_whatever_its_spelling() {
    let demo = Demo::new();
    let o = demo.run(&["subscribers", "add", "Quinn@Example.com"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = demo.run(&["subscribers", "add", "quinn@EXAMPLE.COM"]);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("already subscribed"),
        "{}",
        text(&o)
    );
    let o = demo.run(&["subscribers", "add", "heidi@exämple.com"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = demo.run(&["subscribers", "add", "jürgen@example.com"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("non-ASCII"),
        "{}",
        text(&o)
    );
    let list = demo.list();
    assert_eq!(
        list.lines()
            .filter(|l| l.to_ascii_lowercase().contains("quinn@"))
            .count(),
        1,
        "{list}"
    );
    assert!(
        list.contains("Quinn@example.com"),
        "the first spelling: {list}"
    );
    assert!(list.contains("heidi@xn--exmple-cua.com"), "{list}");

    let o = demo.run(&["run"]);
    assert!(o.status.success(), "{}", text(&o));
    let to = to_headers(&demo.emls());
    assert_eq!(to.len(), 5, "{to:?}");
    assert!(to.iter().all(|t| t.is_ascii()), "{to:?}");
    assert_eq!(
        to.iter()
            .filter(|t| t.to_ascii_lowercase().contains("quinn@"))
            .count(),
        1
    );
    assert!(to.iter().any(|t| t.contains("Quinn@example.com")), "{to:?}");
    assert!(
        to.iter().any(|t| t.contains("heidi@xn--exmple-cua.com")),
        "{to:?}"
    );

    // Unsubscribing one spelling unsubscribes the mailbox.
    let o = demo.run(&["subscribers", "remove", "QUINN@example.com"]);
    assert!(o.status.success(), "{}", text(&o));
    let list = demo.list();
    let quinn = list.lines().find(|l| l.contains("Quinn@")).unwrap();
    assert!(quinn.contains("unsubscribed"), "{list}");
}
