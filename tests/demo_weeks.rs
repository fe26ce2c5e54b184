//! The bundled demo run week after week, on a clock the test sets: no
//! edition tells a story an earlier one told, under its old link or a new
//! one, its old wording or a new one.

mod support;

use chrono::{Duration, TimeZone, Utc};
use roundup::config::Config;
use roundup::pipeline::{self, App};
use std::path::Path;
use support::binary::copy_dir;

/// Pairs of demo items that report one story under two links and two wordings.
const SAME_STORY: &[(&str, &str)] = &[
    (
        "Kestrel unveils K9 laptop chip with twice the battery life",
        "Kestrel's K9 chip promises all-day laptops",
    ),
    (
        "Lowsky opens satellite broadband",
        "Satellite internet for rural Europe priced at $35",
    ),
];

#[tokio::test]
async fn four_weekly_editions_never_tell_one_story_twice() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("config"),
        &d.join("config"),
    );
    let path = d.join("config").join("demo.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let app = App::new(Config::from_toml(&text, &path, &[]).unwrap())
        .await
        .unwrap();

    // Mondays from the week after the demo's items.
    let first = Utc.with_ymd_and_hms(2026, 11, 23, 8, 0, 0).unwrap();
    let mut told: Vec<(String, String)> = Vec::new();
    for week in 0..4 {
        let now = first + Duration::weeks(week);
        let report = match pipeline::run_once(&app, now, None).await {
            Ok(r) => r,
            // Once every story has been told there is nothing left to publish.
            Err(e) if e.downcast_ref::<pipeline::NothingToPublish>().is_some() => break,
            Err(e) => panic!("week {week}: {e:#}"),
        };
        assert!(report.published.created, "week {week}");
        let edition = report.published.edition;
        for s in edition.digest.sections.iter().flat_map(|s| &s.stories) {
            told.push((edition.key.clone(), s.title.clone()));
        }
    }
    assert!(told.len() >= 10, "{told:?}");
    let keys: std::collections::BTreeSet<&String> = told.iter().map(|(k, _)| k).collect();
    assert!(keys.len() >= 2, "at least two editions: {told:?}");
    for (a, b) in SAME_STORY {
        let editions: Vec<&String> = told
            .iter()
            .filter(|(_, t)| t.starts_with(a) || t.starts_with(b))
            .map(|(k, _)| k)
            .collect();
        assert!(
            editions.len() <= 1,
            "\"{a}\" and \"{b}\" are one story, told in {editions:?}"
        );
    }
    let mut titles: Vec<&String> = told.iter().map(|(_, t)| t).collect();
    titles.sort();
    let before = titles.len();
    titles.dedup();
    assert_eq!(titles.len(), before, "a title told twice: {told:?}");
}
