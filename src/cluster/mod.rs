//! Which of the week's reports are one story. Some pairs say it outright:
//! the same canonical link, the same wording (a copy, or a re-publication
//! under a new address), the same title within three days. The rest merge by
//! average link over their titles' similarity (`average_link`, `terms`),
//! so that a week's many stories that share a name do not chain into one.
//! Pure: reports in, groups of their indices out.
//!
//! Comparing every pair is quadratic in the week's items, so only pairs that
//! can pass a test are compared. For copies, each test needs its two sets to
//! overlap by some minimum; with the elements of every set in one global
//! order, two sets that overlap by `m` share an element within the first
//! `len - m + 1` of each (the prefix filter). Titles are compared only with
//! those that share a term with them and came within three days.

mod average_link;
mod terms;

use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// What clustering reads of one report.
#[derive(Debug, Clone, Copy)]
pub struct Report<'a> {
    pub feed_id: i64,
    pub title: &'a str,
    pub text: &'a str,
    pub canonical_link: Option<&'a str>,
    pub published: DateTime<Utc>,
}

/// Mean title similarity at which two groups of reports are one story:
/// chosen on alternate weeks of the UCI development headlines, reported on
/// the others (docs/CLUSTERING.md).
pub const SAME_STORY: f64 = 0.25;
/// One word or one name in common, however rare, is not a shared story.
const MIN_SHARED_TERMS: usize = 2;
/// Reports further apart than this are not compared by title at all.
const WINDOW_HOURS: i64 = 72;
/// Similarities under this are dropped before merging: they could move a
/// mean by too little to matter.
const FLOOR: f64 = 0.1;
/// Each report keeps only its most similar later reports, so a week of
/// look-alike titles costs memory in proportion to its reports.
const MOST_SIMILAR: usize = 8;

/// The reports grouped into stories, as indices into `reports`: each group
/// in input order, groups by their first member. `shingles[i]` is
/// `shingles(reports[i].text)`, computed once by the caller.
pub fn stories(reports: &[Report<'_>], shingles: &[Vec<u64>]) -> Vec<Vec<usize>> {
    debug_assert_eq!(reports.len(), shingles.len());
    let mut joined = Joined::new(reports.len());
    join_same_links(reports, &mut joined);
    // Syndicated copies and re-publications share most of their wording,
    // whatever their titles say. Shingles are hashes: their order is as
    // good as random, which is all the prefix filter needs.
    join_by_prefix(shingles, text_prefix, NEIGHBOURS, &mut joined, |i, j| {
        same_text(&shingles[i], &shingles[j])
    });
    let vectors = terms::vectors(reports.iter().map(|r| r.title));
    join_same_titles(reports, &vectors, &mut joined);
    let pairs = similar_titles(reports, &vectors);
    average_link::merge(joined.groups(), &pairs, SAME_STORY)
}

/// For each of `titles`, the most similar of `earlier` that shares at least
/// `MIN_SHARED_TERMS` terms with it and reaches `SAME_STORY`, with that
/// similarity: the test of whether a report is a story an earlier edition
/// carried, under new wording.
pub fn earlier_match(titles: &[&str], earlier: &[&str]) -> Vec<Option<(usize, f64)>> {
    let vectors = terms::vectors(titles.iter().chain(earlier).copied());
    let (new, old) = vectors.split_at(titles.len());
    let mut postings: HashMap<u32, Vec<usize>> = HashMap::new();
    for (k, v) in old.iter().enumerate() {
        for &(t, _) in v {
            postings.entry(t).or_default().push(k);
        }
    }
    new.iter()
        .map(|v| {
            let mut seen = std::collections::HashSet::new();
            v.iter()
                .flat_map(|(t, _)| postings.get(t).into_iter().flatten().copied())
                .filter(|&k| seen.insert(k))
                .map(|k| (k, terms::overlap(v, &old[k])))
                .filter(|&(_, (shared, s))| shared >= MIN_SHARED_TERMS && s >= SAME_STORY)
                .map(|(k, (_, s))| (k, s))
                .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
        })
        .collect()
}

/// A batch's titles as vectors, weighed as clustering weighs them (the
/// batch's own counts included), for one-pair tests between them: a looser
/// test than clustering's mean over every pair, fit for asking whether two
/// stories already formed are one.
pub struct Titles {
    vectors: Vec<terms::Vector>,
}

impl Titles {
    pub fn new<'a>(titles: impl Iterator<Item = &'a str>) -> Self {
        Titles {
            vectors: terms::vectors(titles),
        }
    }

    /// The similarity of titles `a` and `b`, if they share at least
    /// `MIN_SHARED_TERMS` terms.
    pub fn similarity(&self, a: usize, b: usize) -> Option<f64> {
        let (shared, s) = terms::overlap(&self.vectors[a], &self.vectors[b]);
        (shared >= MIN_SHARED_TERMS).then_some(s)
    }
}

/// One title again within the window (re-posted, or carried by many feeds)
/// is one story outright, so that a story in hundreds of feeds does not
/// depend on each report meeting every other along a crowded term.
fn join_same_titles(reports: &[Report<'_>], vectors: &[terms::Vector], joined: &mut Joined) {
    let mut by_title: HashMap<Vec<u32>, Vec<usize>> = HashMap::new();
    for (i, v) in vectors.iter().enumerate() {
        if v.len() >= 2 {
            by_title
                .entry(v.iter().map(|t| t.0).collect())
                .or_default()
                .push(i);
        }
    }
    for same in by_title.values() {
        for w in same.windows(2) {
            let hours = (reports[w[0]].published - reports[w[1]].published)
                .num_hours()
                .abs();
            if hours <= WINDOW_HOURS {
                joined.union(w[0], w[1]);
            }
        }
    }
}

/// Terms in more titles than this pair each report only with its next
/// `NEIGHBOURS_IN_TIME` along the term, so a common word costs a bounded
/// number of comparisons per report.
const MAX_TITLE_POSTING: usize = 64;
const NEIGHBOURS_IN_TIME: usize = 32;

/// Pairs of reports within the window whose titles share at least
/// `MIN_SHARED_TERMS` terms, with their similarity, where it reaches `FLOOR`:
/// for each report, its `MOST_SIMILAR` closest later reports.
fn similar_titles(reports: &[Report<'_>], vectors: &[terms::Vector]) -> Vec<(u32, u32, f32)> {
    let minute: Vec<i64> = reports
        .iter()
        .map(|r| r.published.timestamp() / 60)
        .collect();
    let mut order: Vec<usize> = (0..reports.len()).collect();
    order.sort_by_key(|&i| (minute[i], reports[i].published, i));
    let mut postings: HashMap<u32, Vec<usize>> = HashMap::new();
    for &i in &order {
        for &(t, _) in &vectors[i] {
            postings.entry(t).or_default().push(i);
        }
    }
    let mut cursor: HashMap<u32, usize> = HashMap::new();
    let mut met = vec![usize::MAX; reports.len()];
    let mut out = Vec::new();
    let mut mine: Vec<(u32, u32, f32)> = Vec::new();
    for &i in &order {
        mine.clear();
        for &(t, _) in &vectors[i] {
            let posting = &postings[&t];
            let at = cursor.entry(t).or_insert(0);
            let from = *at + 1;
            *at += 1;
            let reach = if posting.len() > MAX_TITLE_POSTING {
                NEIGHBOURS_IN_TIME
            } else {
                posting.len()
            };
            for &j in posting[from.min(posting.len())..].iter().take(reach) {
                if minute[j] - minute[i] > WINDOW_HOURS * 60 {
                    break;
                }
                if met[j] == i {
                    continue;
                }
                met[j] = i;
                let (shared, s) = terms::overlap(&vectors[i], &vectors[j]);
                if shared >= MIN_SHARED_TERMS && s >= FLOOR {
                    let id = |k: usize| u32::try_from(k).expect("fewer than 2^32 reports");
                    mine.push((id(i), id(j), s as f32));
                }
            }
        }
        if mine.len() > MOST_SIMILAR {
            mine.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.1.cmp(&b.1)));
            mine.truncate(MOST_SIMILAR);
        }
        out.extend_from_slice(&mine);
    }
    out
}

/// Whether two shingled texts are copies of one report.
pub fn same_text(a: &[u64], b: &[u64]) -> bool {
    a.len() >= MIN_SHINGLES && b.len() >= MIN_SHINGLES && shingle_similarity(a, b) >= SAME_TEXT
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

/// Calls `both` with each pair of elements two slices, sorted by `key` and
/// without repeated keys, have in common.
fn each_common<T, K: Ord>(a: &[T], b: &[T], key: impl Fn(&T) -> K, mut both: impl FnMut(&T, &T)) {
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match key(&a[i]).cmp(&key(&b[j])) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                both(&a[i], &b[j]);
                i += 1;
                j += 1;
            }
        }
    }
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
    let mut shared = 0;
    each_common(a, b, |&x| x, |_, _| shared += 1);
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

/// A fixed pseudo-random sequence for tests: `next(n)` is below `n`, the
/// same every run.
#[cfg(test)]
fn sequence(mut seed: u64) -> impl FnMut(u64) -> u64 {
    move |n| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % n
    }
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

    #[test]
    fn titles_are_alike_by_two_shared_terms_weighed_over_the_batch() {
        let titles = Titles::new(
            [
                "Nvidia pauses plan to invest $100 billion in OpenAI",
                "The $100B megadeal between OpenAI and Nvidia is on ice",
                "Kestrel opens a store",
                "Kestrel recalls phones",
            ]
            .into_iter(),
        );
        assert!(titles.similarity(0, 1).unwrap() > 0.4);
        // One shared name is not enough, however rare.
        assert_eq!(titles.similarity(2, 3), None);
    }

    #[test]
    fn reports_of_one_event_merge_and_a_shared_name_does_not() {
        let reports = [
            report(
                1,
                "Trump picks Kevin Warsh to lead the Federal Reserve",
                "",
                30,
            ),
            report(
                2,
                "Warsh nominated as Federal Reserve chair by Trump",
                "",
                28,
            ),
            report(3, "Trump warns Iran over its nuclear programme", "", 20),
            report(4, "Iran rejects Trump's nuclear warning", "", 18),
            report(
                5,
                "Trump administration releases more Epstein files",
                "",
                10,
            ),
        ];
        assert_eq!(grouped(&reports), vec![vec![0, 1], vec![2, 3], vec![4]]);
    }

    #[test]
    fn one_title_days_apart_is_two_stories_unless_the_text_is_the_same() {
        let title = "Kestrel unveils K9 laptop chip";
        let body = "Kestrel Systems said on Tuesday that its K9 chip, built with Orrin Foundry, \
                    runs twice as long on one charge as the K8 and ships in February to buyers.";
        assert_eq!(
            grouped(&[report(1, title, "", 1), report(2, title, "", 120)]).len(),
            2
        );
        assert_eq!(
            grouped(&[report(1, title, "", 1), report(2, title, "", 30)]).len(),
            1
        );
        assert_eq!(
            grouped(&[report(1, title, body, 1), report(2, "New chip", body, 120)]).len(),
            1
        );
    }

    #[test]
    fn a_feed_re_publishing_its_story_under_a_new_address_is_one_story() {
        let reports = [
            Report {
                canonical_link: Some("https://e.example/a/k9"),
                ..report(1, "Kestrel unveils K9 laptop chip", "", 30)
            },
            Report {
                canonical_link: Some("https://e.example/2026/k9-chip"),
                ..report(
                    1,
                    "Kestrel unveils K9 laptop chip, ships in February",
                    "",
                    26,
                )
            },
        ];
        assert_eq!(grouped(&reports), vec![vec![0, 1]]);
    }

    #[test]
    fn the_term_index_finds_every_pair_an_all_pairs_scan_finds() {
        let mut next = sequence(7);
        let words: Vec<String> = (0..60u8)
            .map(|w| {
                format!(
                    "w{}{}",
                    char::from(b'a' + w % 20),
                    char::from(b'a' + w / 20)
                )
            })
            .collect();
        let titles: Vec<String> = (0..200)
            .map(|_| {
                (0..3 + next(4))
                    .map(|_| words[next(60) as usize].as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        let reports: Vec<Report<'_>> = titles
            .iter()
            .map(|t| report(next(9) as i64, t, "", next(120) as i64))
            .collect();
        let vectors = terms::vectors(reports.iter().map(|r| r.title));
        // No term is in more than MAX_TITLE_POSTING titles, so no pair is missed.
        let mut found: Vec<(usize, usize)> = similar_titles(&reports, &vectors)
            .into_iter()
            .map(|(i, j, _)| (i.min(j) as usize, i.max(j) as usize))
            .collect();
        found.sort_unstable();
        // Every later report within the window, each report keeping its
        // MOST_SIMILAR closest.
        let mut order: Vec<usize> = (0..reports.len()).collect();
        order.sort_by_key(|&i| (reports[i].published, i));
        let mut all = Vec::new();
        for (n, &i) in order.iter().enumerate() {
            let mut mine: Vec<(f64, usize)> = Vec::new();
            for &j in &order[n + 1..] {
                let minutes = (reports[j].published - reports[i].published).num_minutes();
                let (shared, s) = terms::overlap(&vectors[i], &vectors[j]);
                let s = f64::from(s as f32);
                if minutes <= WINDOW_HOURS * 60 && shared >= MIN_SHARED_TERMS && s >= FLOOR {
                    mine.push((s, j));
                }
            }
            mine.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            all.extend(
                mine.into_iter()
                    .take(MOST_SIMILAR)
                    .map(|(_, j)| (i.min(j), i.max(j))),
            );
        }
        all.sort_unstable();
        assert!(all.len() > 100, "{} pairs", all.len());
        assert_eq!(found, all);
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
        // n - overlap + 1, for the smallest overlap the test accepts.
        assert_eq!(text_prefix(11), 0);
        assert_eq!(text_prefix(12), 7);
        assert_eq!(text_prefix(13), 7);
    }
}
