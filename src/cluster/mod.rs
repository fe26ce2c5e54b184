//! Which of the week's reports are one story: the same canonical link, near-
//! identical titles, the same names and figures within three days, or the
//! same wording. Pure: reports in, groups of their indices out.
//!
//! Comparing every pair is quadratic in the week's items, so only pairs that
//! can pass a test are compared. Each test needs its two sets to overlap by
//! some minimum; with the elements of every set in one global order (rarest
//! first), two sets that overlap by `m` share an element within the first
//! `len - m + 1` of each (the prefix filter). Each item is indexed under
//! those prefixes alone, so the index, and the pairs drawn from it, grow
//! with the items rather than with their square.

use chrono::{DateTime, Utc};
use std::collections::{BTreeSet, HashMap};

/// What clustering reads of one report.
#[derive(Debug, Clone, Copy)]
pub struct Report<'a> {
    pub feed_id: i64,
    pub title: &'a str,
    pub text: &'a str,
    pub canonical_link: Option<&'a str>,
    pub published: DateTime<Utc>,
}

/// The reports grouped into stories, as indices into `reports`: each group
/// in input order, groups by their first member. `shingles[i]` is
/// `shingles(reports[i].text)`, computed once by the caller.
pub fn stories(reports: &[Report<'_>], shingles: &[Vec<u64>]) -> Vec<Vec<usize>> {
    debug_assert_eq!(reports.len(), shingles.len());
    let mut joined = Joined::new(reports.len());
    join_same_links(reports, &mut joined);

    let titles = ranked(reports.iter().map(|r| title_tokens(r.title)));
    join_by_prefix(&titles, title_prefix, NEIGHBOURS, &mut joined, |i, j| {
        reports[i].feed_id != reports[j].feed_id && jaccard(&titles[i], &titles[j]) >= SAME_TITLE
    });
    drop(titles);

    let names = ranked(reports.iter().map(|r| entities(r.title, r.text)));
    // A name in many reports that week is too common to chain stories by.
    join_by_prefix(&names, names_prefix, 0, &mut joined, |i, j| {
        let (a, b) = (&reports[i], &reports[j]);
        a.feed_id != b.feed_id
            && (a.published - b.published).num_hours().abs() <= 72
            && same_entities(&names[i], &names[j])
    });
    drop(names);

    // Syndicated copies and re-publications share most of their wording,
    // whatever their titles say. Shingles are hashes: their order is as
    // good as random, which is all the prefix filter needs.
    join_by_prefix(shingles, text_prefix, NEIGHBOURS, &mut joined, |i, j| {
        same_text(&shingles[i], &shingles[j])
    });
    joined.groups()
}

/// Whether two shingled texts are copies of one report.
pub fn same_text(a: &[u64], b: &[u64]) -> bool {
    a.len() >= MIN_SHINGLES && b.len() >= MIN_SHINGLES && shingle_similarity(a, b) >= SAME_TEXT
}

/// Title-word Jaccard at which two titles are one story.
const SAME_TITLE: f64 = 0.75;

/// Jaccard ≥ 3/4 needs an overlap of at least ⌈3n/4⌉ of an n-word title;
/// titles under three words are never compared.
fn title_prefix(n: usize) -> usize {
    if n < 3 {
        0
    } else {
        n - (3 * n).div_ceil(4) + 1
    }
}

/// `same_entities` needs at least three names in common.
fn names_prefix(n: usize) -> usize {
    n.saturating_sub(2)
}

/// Jaccard ≥ 1/2 needs an overlap of at least ⌈n/2⌉ of n shingles.
fn text_prefix(n: usize) -> usize {
    if n < MIN_SHINGLES {
        0
    } else {
        n - n.div_ceil(2) + 1
    }
}

/// A link says it outright: every report with it is one story, however many.
fn join_same_links(reports: &[Report<'_>], joined: &mut Joined) {
    let mut first: HashMap<&str, usize> = HashMap::new();
    for (i, r) in reports.iter().enumerate() {
        if let Some(link) = r.canonical_link {
            let f = *first.entry(link).or_insert(i);
            joined.union(f, i);
        }
    }
}

/// Keys shared by more items than this are not paired all with all: each
/// item is compared with the next few that share the key. A week of a few
/// thousand items rarely has a rare name in more than a hundred titles, and
/// a story copied by hundreds of feeds still chains into one through its
/// neighbours, while a common word costs a bounded number of tests per item.
const MAX_POSTING: usize = 64;
/// How many neighbours each item meets along a key shared by more than `MAX_POSTING`.
const NEIGHBOURS: usize = 8;

/// Indexes each set under its first `prefix(len)` elements and joins the
/// pairs that meet in the index and pass `same`; along a key shared by more
/// than `MAX_POSTING` sets, each meets only its next `neighbours`. Each set
/// is sorted.
fn join_by_prefix<T: Copy + Ord>(
    sets: &[Vec<T>],
    prefix: fn(usize) -> usize,
    neighbours: usize,
    joined: &mut Joined,
    same: impl Fn(usize, usize) -> bool,
) {
    let head = |s: &Vec<T>| prefix(s.len()).min(s.len());
    // Sized up front: growing it by doubling would briefly hold it twice.
    let mut index: Vec<(T, u32)> = Vec::with_capacity(sets.iter().map(head).sum());
    for (i, s) in sets.iter().enumerate() {
        let i = u32::try_from(i).expect("fewer than 2^32 items");
        index.extend(s[..head(s)].iter().map(|&k| (k, i)));
    }
    index.sort_unstable();
    for run in index.chunk_by(|a, b| a.0 == b.0) {
        let reach = if run.len() > MAX_POSTING {
            neighbours
        } else {
            run.len()
        };
        for (n, &(_, i)) in run.iter().enumerate() {
            for &(_, j) in &run[n + 1..run.len().min(n + 1 + reach)] {
                let (i, j) = (i as usize, j as usize);
                // Pairs already joined through another key need no test.
                if joined.find(i) != joined.find(j) && same(i, j) {
                    joined.union(i, j);
                }
            }
        }
    }
}

/// Each report's set as ids ranked rarest first (ties by first sight), so a
/// sorted vector lists its rarest elements first and two sets are compared
/// by merging.
fn ranked(sets: impl Iterator<Item = BTreeSet<String>>) -> Vec<Vec<u32>> {
    let mut ids: HashMap<String, u32> = HashMap::new();
    let mut seen_in: Vec<u32> = Vec::new();
    let sets: Vec<Vec<u32>> = sets
        .map(|set| {
            set.into_iter()
                .map(|w| {
                    let next = u32::try_from(ids.len()).expect("fewer than 2^32 words");
                    let id = *ids.entry(w).or_insert(next);
                    if id == next {
                        seen_in.push(0);
                    }
                    seen_in[id as usize] += 1;
                    id
                })
                .collect()
        })
        .collect();
    drop(ids);
    let mut order: Vec<u32> = (0..seen_in.len() as u32).collect();
    order.sort_unstable_by_key(|&id| (seen_in[id as usize], id));
    let mut rank = vec![0u32; order.len()];
    for (r, &id) in order.iter().enumerate() {
        rank[id as usize] = r as u32;
    }
    sets.into_iter()
        .map(|s| {
            let mut s: Vec<u32> = s.into_iter().map(|id| rank[id as usize]).collect();
            s.sort_unstable();
            s
        })
        .collect()
}

/// Union-find over the reports.
struct Joined {
    parent: Vec<usize>,
}

impl Joined {
    fn new(n: usize) -> Self {
        Self {
            parent: (0..n).collect(),
        }
    }

    fn find(&mut self, i: usize) -> usize {
        let p = &mut self.parent;
        let mut r = i;
        while p[r] != r {
            r = p[r];
        }
        let mut c = i;
        while p[c] != r {
            let next = p[c];
            p[c] = r;
            c = next;
        }
        r
    }

    fn union(&mut self, i: usize, j: usize) {
        let (a, b) = (self.find(i), self.find(j));
        if a != b {
            // The lower index stays the root, so groups come out in input order.
            let (root, child) = if a < b { (a, b) } else { (b, a) };
            self.parent[child] = root;
        }
    }

    fn groups(mut self) -> Vec<Vec<usize>> {
        let n = self.parent.len();
        let mut at: HashMap<usize, usize> = HashMap::new();
        let mut out: Vec<Vec<usize>> = Vec::new();
        for i in 0..n {
            let root = self.find(i);
            let g = *at.entry(root).or_insert_with(|| {
                out.push(Vec::new());
                out.len() - 1
            });
            out[g].push(i);
        }
        out
    }
}

/// How many elements two sorted, duplicate-free slices share.
fn shared<T: Ord>(a: &[T], b: &[T]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

/// Word 5-grams of a text's opening, hashed: two texts sharing most of them
/// are copies of one another, however they were edited or re-titled.
pub fn shingles(text: &str) -> Vec<u64> {
    use std::hash::{Hash, Hasher};
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(SHINGLED_WORDS)
        .map(str::to_lowercase)
        .collect();
    let mut out: Vec<u64> = words
        .windows(5)
        .map(|w| {
            let mut h = std::hash::DefaultHasher::new();
            w.hash(&mut h);
            h.finish()
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Jaccard similarity of two shingle sets.
pub fn shingle_similarity(a: &[u64], b: &[u64]) -> f64 {
    let shared = shared(a, b);
    let union = a.len() + b.len() - shared;
    if union == 0 {
        0.0
    } else {
        shared as f64 / union as f64
    }
}

/// How much of a story's opening is compared.
const SHINGLED_WORDS: usize = 300;
/// Fewer shingles than this (a one-line excerpt) say nothing either way.
pub const MIN_SHINGLES: usize = 12;
/// Shingle similarity at which two texts are one story.
pub const SAME_TEXT: f64 = 0.5;

/// Names and figures near the top of a story: capitalised words that do not
/// open a sentence, and numbers. Two reports of one event share most of them
/// even when their wording differs.
fn entities(title: &str, text: &str) -> BTreeSet<String> {
    let lead: String = text
        .split_whitespace()
        .take(60)
        .collect::<Vec<_>>()
        .join(" ");
    let mut out = BTreeSet::new();
    for (is_title, part) in [(true, title), (false, lead.as_str())] {
        // A headline usually opens with its subject ("Pellucid launches ..."),
        // so its first word counts; a body sentence's first word often does not.
        let mut sentence_start = !is_title;
        for raw in part.split_whitespace() {
            let w = raw.trim_matches(|c: char| !c.is_alphanumeric() && c != '$' && c != '.');
            let w = w.trim_end_matches('.');
            let numeric = w.chars().any(|c| c.is_ascii_digit());
            let capital = w.chars().next().is_some_and(char::is_uppercase) && w.chars().count() > 1;
            let lower = w.to_lowercase();
            let lower = lower
                .trim_end_matches("'s")
                .trim_end_matches("’s")
                .to_string();
            let distinctive = !COMMON_CAPITALISED.contains(&lower.as_str());
            if distinctive && (numeric && w.chars().count() > 1 || capital && !sentence_start) {
                out.insert(lower);
            }
            sentence_start = raw.ends_with(['.', '!', '?', ':']);
        }
    }
    out
}

/// Capitalised words every story shares: they say nothing about which event it is.
const COMMON_CAPITALISED: &[&str] = &[
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "the",
    "a",
    "an",
    "in",
    "on",
    "at",
    "it",
    "its",
    "he",
    "she",
    "they",
    "we",
    "i",
    "his",
    "her",
    "their",
    "but",
    "and",
    "or",
    "as",
    "for",
    "if",
    "this",
    "that",
    "mr",
    "mrs",
    "ms",
    "dr",
    "ceo",
    "us",
    "uk",
    "eu",
    "2024",
    "2025",
    "2026",
    "2027",
    "2028",
    "2029",
    "2030",
    "new",
    "why",
    "how",
    "what",
    "who",
    "when",
    "shares",
    "stocks",
    "markets",
    "analysts",
    "study",
    "report",
    "government",
    "company",
    "companies",
];

fn same_entities(a: &[u32], b: &[u32]) -> bool {
    let shared = shared(a, b);
    shared >= 3 && shared as f64 >= 0.5 * a.len().min(b.len()).max(4) as f64
}

fn title_tokens(t: &str) -> BTreeSet<String> {
    t.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() > 2)
        .map(str::to_lowercase)
        .filter(|w| {
            ![
                "the", "and", "for", "with", "from", "its", "has", "are", "was", "will", "after",
                "over", "into", "says",
            ]
            .contains(&w.as_str())
        })
        .collect()
}

fn jaccard(a: &[u32], b: &[u32]) -> f64 {
    if a.len() < 3 || b.len() < 3 {
        return 0.0;
    }
    let inter = shared(a, b);
    inter as f64 / (a.len() + b.len() - inter) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(hours: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap() - chrono::Duration::hours(hours)
    }

    fn report<'a>(feed: i64, title: &'a str, text: &'a str, hours: i64) -> Report<'a> {
        Report {
            feed_id: feed,
            title,
            text,
            canonical_link: None,
            published: at(hours),
        }
    }

    fn grouped(reports: &[Report<'_>]) -> Vec<Vec<usize>> {
        let shingles: Vec<Vec<u64>> = reports.iter().map(|r| shingles(r.text)).collect();
        stories(reports, &shingles)
    }

    /// The same tests on every pair: what the index must reproduce.
    fn grouped_by_all_pairs(reports: &[Report<'_>]) -> Vec<Vec<usize>> {
        let shingles: Vec<Vec<u64>> = reports.iter().map(|r| shingles(r.text)).collect();
        let titles = ranked(reports.iter().map(|r| title_tokens(r.title)));
        let names = ranked(reports.iter().map(|r| entities(r.title, r.text)));
        let mut joined = Joined::new(reports.len());
        for i in 0..reports.len() {
            for j in i + 1..reports.len() {
                let (a, b) = (&reports[i], &reports[j]);
                let other_feed = a.feed_id != b.feed_id;
                if a.canonical_link.is_some() && a.canonical_link == b.canonical_link
                    || other_feed && jaccard(&titles[i], &titles[j]) >= SAME_TITLE
                    || other_feed
                        && (a.published - b.published).num_hours().abs() <= 72
                        && same_entities(&names[i], &names[j])
                    || same_text(&shingles[i], &shingles[j])
                {
                    joined.union(i, j);
                }
            }
        }
        joined.groups()
    }

    #[test]
    fn the_index_finds_every_pair_that_comparing_all_pairs_finds() {
        let titles = [
            "Kestrel unveils K9 laptop chip with twice the battery life",
            "Kestrel K9 laptop chip doubles battery life, company says",
            "Kestrel unveils K9 laptop chip with double the battery life",
            "Central bank raises interest rates to fight inflation",
            "Interest rates rise again as the central bank fights inflation",
            "Central bank raises interest rates again to fight inflation",
            "Local team wins the cup",
            "Orrin and Valebrook will ship K9 laptops in February",
        ];
        let bodies = [
            "Kestrel Systems said on Tuesday that its K9 chip, built with Orrin Foundry, \
             runs twice as long on one charge as the K8 and ships in February.",
            "The Federal Reserve lifted its benchmark rate by 0.25 points to 5.5%, \
             its eleventh rise, Jerome Powell told reporters in Washington.",
            "A short line.",
        ];
        let texts: Vec<String> = (0..90)
            .map(|n| {
                // Some long enough to compare by shingles, some one-liners.
                let body = if n % 4 == 0 { bodies[n % 3] } else { "" };
                format!("{} {body}", titles[n % titles.len()])
            })
            .collect();
        let links: Vec<String> = (0..90)
            .map(|n| format!("https://e.example/{}", n % 8))
            .collect();
        let reports: Vec<Report<'_>> = (0..90)
            .map(|n| Report {
                feed_id: (n % 7) as i64,
                title: titles[n % titles.len()],
                text: &texts[n],
                canonical_link: (n % 3 == 0).then(|| links[n].as_str()),
                published: at((n % 90) as i64),
            })
            .collect();
        let by_index = grouped(&reports);
        assert!(
            (4..reports.len() / 2).contains(&by_index.len()),
            "{} groups: {by_index:?}",
            by_index.len()
        );
        assert_eq!(by_index, grouped_by_all_pairs(&reports));
    }

    #[test]
    fn the_index_agrees_with_all_pairs_on_random_near_duplicates() {
        // A fixed linear congruential sequence: the same reports every run.
        let mut seed: u64 = 7;
        let mut next = |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        // Lower case and no digits: no names, so no key is shared by more
        // than `MAX_POSTING` reports and the index must be exact.
        let words: Vec<String> = (0..40u8)
            .map(|w| {
                format!(
                    "w{}{}",
                    char::from(b'a' + w % 20),
                    char::from(b'a' + w / 20)
                )
            })
            .collect();
        let mut titles = Vec::new();
        let mut texts = Vec::new();
        for _ in 0..150 {
            let len = 3 + next(4) as usize;
            let title: Vec<&str> = (0..len)
                .map(|_| words[next(40) as usize].as_str())
                .collect();
            titles.push(title.join(" "));
            let text: Vec<&str> = (0..30).map(|_| words[next(12) as usize].as_str()).collect();
            texts.push(text.join(" "));
        }
        // Near-copies: a word changed in the title, the text kept.
        for k in 0..50 {
            let mut t: Vec<String> = titles[k].split(' ').map(String::from).collect();
            t[0] = words[next(40) as usize].clone();
            titles.push(t.join(" "));
            texts.push(texts[k].clone());
        }
        let reports: Vec<Report<'_>> = (0..titles.len())
            .map(|n| report(next(9) as i64, &titles[n], &texts[n], next(120) as i64))
            .collect();
        let by_index = grouped(&reports);
        assert!(
            by_index.len() < reports.len() - 40,
            "{} groups",
            by_index.len()
        );
        assert_eq!(by_index, grouped_by_all_pairs(&reports));
    }

    #[test]
    fn every_report_with_one_link_is_one_story_however_many() {
        let reports: Vec<Report<'_>> = (0..1_000)
            .map(|n| Report {
                canonical_link: Some("https://e.example/same"),
                ..report(n, "Untitled", "", 1)
            })
            .collect();
        assert_eq!(grouped(&reports), vec![(0..1_000).collect::<Vec<_>>()]);
    }

    #[test]
    fn a_story_carried_by_hundreds_of_feeds_is_still_one_story() {
        let title = "Kestrel recalls K9 laptops over battery fires";
        let mut reports: Vec<Report<'_>> = (0..300).map(|n| report(n, title, "", n % 48)).collect();
        // The same title words, far more often than MAX_POSTING.
        assert!(reports.len() > 4 * MAX_POSTING);
        reports.push(report(999, "Local team wins the cup", "", 2));
        let groups = grouped(&reports);
        assert_eq!(groups.len(), 2, "{groups:?}");
        assert_eq!(groups[0].len(), 300);
    }

    #[test]
    fn a_word_in_every_title_joins_nothing_by_itself() {
        let titles: Vec<String> = (0..400)
            .map(|n| format!("Apple topic{n} announcement{n} detail{n}"))
            .collect();
        let reports: Vec<Report<'_>> = titles
            .iter()
            .enumerate()
            .map(|(n, t)| report(n as i64, t, "", 1))
            .collect();
        assert_eq!(grouped(&reports).len(), 400);
    }

    #[test]
    fn prefixes_are_long_enough_for_each_threshold() {
        // n - overlap + 1, for the smallest overlap each test accepts.
        assert_eq!(title_prefix(2), 0);
        assert_eq!(title_prefix(3), 1);
        assert_eq!(title_prefix(4), 2);
        assert_eq!(title_prefix(8), 3);
        assert_eq!(names_prefix(3), 1);
        assert_eq!(names_prefix(10), 8);
        assert_eq!(text_prefix(11), 0);
        assert_eq!(text_prefix(12), 7);
        assert_eq!(text_prefix(13), 7);
    }

    #[test]
    fn rarest_elements_come_first() {
        let sets = ranked(
            [["common", "rare"], ["common", "other"], ["common", "other"]]
                .into_iter()
                .map(|s| s.iter().map(|w| w.to_string()).collect()),
        );
        // rare (1 set) < other (2) < common (3)
        assert_eq!(sets[0], vec![0, 2]);
        assert_eq!(sets[1], vec![1, 2]);
    }
}
