//! Scraped article text with its clutter (fixtures of our own, in the style
//! of ../shared/corpus/seeds): the summary carries the story's key facts,
//! in whole sentences, with a title and none of the page furniture.

mod support;

use std::path::Path;
use support::binary::roundup;

fn summarize(file: &str) -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(file);
    let out = roundup(
        &[
            "summarize",
            "--sentences",
            "2",
            "--json",
            &path.to_string_lossy(),
        ],
        Path::new(env!("CARGO_MANIFEST_DIR")),
    );
    serde_json::from_slice(&out.stdout).expect("one JSON line")
}

fn check(file: &str, title: &str, facts: &[&str]) {
    let v = summarize(file);
    assert_eq!(v["title"], title, "{v}");
    let sentences: Vec<String> = v["sentences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect();
    assert_eq!(sentences.len(), 2, "{sentences:?}");
    let text = sentences.join(" ");
    for f in facts {
        assert!(text.contains(f), "missing {f:?} in {text:?}");
    }
    for s in &sentences {
        assert!(
            s.ends_with(['.', '!', '?', '"', '”']),
            "not a whole sentence: {s:?}"
        );
    }
    for junk in [
        "Follow",
        "commission",
        "newsletter",
        "comment",
        "writer",
        "Partner",
        "Join",
        "Load More",
        "chart",
        "Sponsored",
    ] {
        assert!(!text.contains(junk), "clutter {junk:?} in {text:?}");
    }
}

#[test]
fn a_sales_milestone_keeps_its_numbers() {
    check(
        "scraped_phone_sales.txt",
        "Norvale sells 2 million tablets in 30 days in Brazil",
        &["2 million tablets", "30 days", "Brazil"],
    );
}

#[test]
fn a_quarterly_result_keeps_its_numbers() {
    check(
        "scraped_quarterly_shipments.txt",
        "Kestrel Ships 41.7 Million Chips in Third Quarter, a 55% Jump",
        &["41.7 million chips", "third quarter of 2026", "55%"],
    );
}
