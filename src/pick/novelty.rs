//! Stories earlier editions carried, and whether a story this week is one of
//! them. A report is recognised by its canonical link, by its wording (a
//! re-publication under a new GUID or URL), or by a title like an earlier
//! story's (`cluster::earlier_match`), however it was re-worded. A story
//! like an earlier one may still go in when it brings new facts: names and
//! figures the earlier story did not have.

use super::Candidate;
use crate::cluster;
use std::collections::HashSet;

/// A report an earlier edition carried, as the store gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentReport {
    /// The edition's key, such as `2026-W47`.
    pub edition: String,
    pub title: String,
    pub text: String,
}

#[derive(Debug)]
struct Earlier {
    edition: String,
    title: String,
    facts: HashSet<String>,
}

/// What earlier editions carried, as the novelty rule compares it.
#[derive(Debug, Default)]
pub struct Sent {
    links: HashSet<String>,
    texts: Vec<Vec<u64>>,
    earlier: Vec<Earlier>,
}

/// How many names and figures a story must add to an earlier one to be a
/// development of it rather than the same news again.
const NEW_FACTS: usize = 3;

/// A story this week that follows one an earlier edition carried.
#[derive(Debug, Clone, PartialEq)]
pub struct Follows {
    pub edition: String,
    pub title: String,
    /// The names and figures it adds, in the order its text gives them.
    pub new_facts: Vec<String>,
}

impl Follows {
    /// True when it adds enough to be news again.
    pub fn is_development(&self) -> bool {
        self.new_facts.len() >= NEW_FACTS
    }

    pub fn describe(&self) -> String {
        if self.is_development() {
            format!(
                "follows {}'s \"{}\", with new facts: {}",
                self.edition,
                self.title,
                self.new_facts.join(", ")
            )
        } else {
            format!("{} carried it as \"{}\"", self.edition, self.title)
        }
    }
}

impl Sent {
    pub fn new(links: HashSet<String>, reports: impl IntoIterator<Item = SentReport>) -> Self {
        let mut texts = Vec::new();
        let mut earlier = Vec::new();
        for r in reports {
            let shingles = cluster::shingles(&r.text);
            if shingles.len() >= cluster::MIN_SHINGLES {
                texts.push(shingles);
            }
            earlier.push(Earlier {
                facts: facts(&r.title, &r.text).into_iter().collect(),
                edition: r.edition,
                title: r.title,
            });
        }
        Self {
            links,
            texts,
            earlier,
        }
    }

    /// The report itself was carried: its link, or its wording.
    pub(super) fn carried(&self, c: &Candidate, text: &[u64]) -> bool {
        c.canonical_link
            .as_ref()
            .is_some_and(|l| self.links.contains(l))
            || self.texts.iter().any(|t| cluster::same_text(t, text))
    }

    /// For each story (its members), the earlier story it follows, if any.
    pub(super) fn follows(&self, stories: &[Vec<&Candidate>]) -> Vec<Option<Follows>> {
        if self.earlier.is_empty() {
            return vec![None; stories.len()];
        }
        let titles: Vec<&str> = stories
            .iter()
            .flat_map(|s| s.iter().map(|c| c.title.as_str()))
            .collect();
        let old: Vec<&str> = self.earlier.iter().map(|e| e.title.as_str()).collect();
        let matches = cluster::earlier_match(&titles, &old);
        let mut at = 0;
        stories
            .iter()
            .map(|members| {
                let mine = &matches[at..at + members.len()];
                at += members.len();
                let (k, _) = mine
                    .iter()
                    .flatten()
                    .copied()
                    .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))?;
                let before = &self.earlier[k];
                // Every earlier report of that story counts as already told.
                let told: HashSet<&String> = self
                    .earlier
                    .iter()
                    .filter(|e| e.edition == before.edition && e.title == before.title)
                    .flat_map(|e| e.facts.iter())
                    .collect();
                let mut new_facts: Vec<String> = Vec::new();
                for c in members {
                    for f in facts(&c.title, &c.text) {
                        if !told.contains(&f) && !new_facts.contains(&f) {
                            new_facts.push(f);
                        }
                    }
                }
                Some(Follows {
                    edition: before.edition.clone(),
                    title: before.title.clone(),
                    new_facts,
                })
            })
            .collect()
    }
}

/// Names and figures: words with a digit, and capitalised words that do not
/// open a sentence (a headline's first word counts: it is usually its
/// subject). Lower-cased, possessives dropped.
pub fn facts(title: &str, text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (is_title, part) in [(true, title), (false, text)] {
        let mut sentence_start = !is_title;
        for raw in part.split_whitespace() {
            let w = raw.trim_matches(|c: char| !c.is_alphanumeric() && c != '$' && c != '%');
            let numeric = w.chars().any(|c| c.is_ascii_digit());
            let capital = w.chars().next().is_some_and(char::is_uppercase)
                && w.chars().count() > 1
                && !sentence_start;
            if numeric || capital {
                let f = w
                    .trim_end_matches("'s")
                    .trim_end_matches("’s")
                    .to_lowercase();
                if !out.contains(&f) {
                    out.push(f);
                }
            }
            sentence_start = raw.ends_with(['.', '!', '?']);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn cand(title: &str, text: &str) -> Candidate {
        Candidate {
            item_id: 1,
            feed_id: 1,
            source_name: "Feed".into(),
            source_weight: 1.0,
            source_kind: None,
            section_hint: None,
            title: title.into(),
            link: Some("https://e.example/new".into()),
            canonical_link: Some("https://e.example/new".into()),
            published: Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap(),
            categories: vec![],
            text: text.into(),
        }
    }

    fn sent() -> Sent {
        Sent::new(
            HashSet::new(),
            [SentReport {
                edition: "2026-W47".into(),
                title: "Kestrel unveils K9 laptop chip with twice the battery life".into(),
                text: "Kestrel Systems said its K9 chip, built with Orrin Foundry, runs twice as long \
                       on one charge as the K8 and ships in February."
                    .into(),
            }],
        )
    }

    #[test]
    fn a_reworded_story_is_recognised_and_a_development_is_let_through() {
        let again = cand(
            "Kestrel's K9 chip promises all-day laptops",
            "The K9 from Kestrel Systems doubles battery life over the K8, the company says.",
        );
        let news = cand(
            "Kestrel delays K9 laptop chip after Orrin Foundry fire",
            "Kestrel Systems pushed K9 shipments to June after a fire at Orrin Foundry's Taichung \
             plant halted 40% of output, chief executive Mara Lind said.",
        );
        let other = cand("Lowsky opens satellite broadband in rural Europe", "");
        let got = sent().follows(&[vec![&again], vec![&news], vec![&other]]);
        let again = got[0].as_ref().expect("the same story");
        assert!(!again.is_development(), "{again:?}");
        assert!(again.describe().contains("2026-W47"));
        let news = got[1].as_ref().expect("a development of it");
        assert!(news.is_development(), "{news:?}");
        assert!(
            news.describe().starts_with("follows 2026-W47's"),
            "{}",
            news.describe()
        );
        assert!(news.new_facts.contains(&"june".to_string()));
        assert_eq!(got[2], None);
    }

    #[test]
    fn facts_are_names_and_figures_not_sentence_openers() {
        assert_eq!(
            facts(
                "Kestrel's K9 ships",
                "The chip costs $350. Analysts at Orrin said 40% more."
            ),
            ["kestrel", "k9", "$350", "orrin", "40%"]
        );
    }
}
