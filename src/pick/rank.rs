//! A story's score: the standing of its best feed, how widely and how
//! recently it was covered, how much news its main report carries, less for
//! clickbait and press releases.

use super::classify::{classify_group, topic_scores};
use super::{Candidate, Pick, ScoreParts, SourceRef, Steering};
use crate::domain::{Section, SourceKind};
use chrono::{DateTime, Utc};
use std::collections::HashSet;

/// A ranked story before it is chosen: it borrows its main report, so a
/// week of many thousand stories copies only the few that are kept.
pub(super) struct Story<'a> {
    pub(super) main: &'a Candidate,
    /// The main report's place among the candidates.
    pub(super) position: usize,
    pub(super) section: Section,
    pub(super) section_reason: String,
    pub(super) score: f64,
    pub(super) parts: ScoreParts,
    pub(super) pinned: bool,
    pub(super) also: Vec<SourceRef>,
    pub(super) members: Vec<SourceRef>,
    pub(super) item_ids: Vec<i64>,
    pub(super) follows: Option<String>,
    /// The titles of the story's news and coverage, the main report's
    /// first.
    pub(super) titles: Vec<&'a str>,
    /// Reports from other feeds that could lead the story instead, best
    /// first, one per feed, each with its place in `titles`.
    pub(super) other_leads: Vec<(usize, &'a Candidate)>,
}

impl Story<'_> {
    pub(super) fn to_pick(&self) -> Pick {
        Pick {
            candidate: self.main.clone(),
            section: self.section,
            section_reason: self.section_reason.clone(),
            score: self.score,
            parts: self.parts,
            pinned: self.pinned,
            also: self.also.clone(),
            members: self.members.clone(),
            item_ids: self.item_ids.clone(),
            follows: self.follows.clone(),
            led_instead: None,
        }
    }

    /// The story as a pick led by `lead`, another feed's report of it.
    pub(super) fn to_pick_led_by(&self, lead: &Candidate, why: String) -> Pick {
        let main = SourceRef {
            name: self.main.source_name.clone(),
            link: self.main.link.clone(),
        };
        let mut pick = self.to_pick();
        pick.candidate = lead.clone();
        pick.also.retain(|s| s.name != lead.source_name);
        pick.also.insert(0, main.clone());
        if let Some(k) = pick
            .members
            .iter()
            .position(|s| s.name == lead.source_name && s.link == lead.link)
        {
            pick.members.remove(k);
        }
        pick.members.insert(0, main);
        pick.led_instead = Some(why);
        pick
    }
}

/// `members`: the story's places in `candidates`, in ascending order;
/// `shingles[i]` is the shingled text of `candidates[i]`.
/// What a report may do for its story.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    /// Lead it and count as coverage.
    News,
    /// Count as its outlet's coverage, never lead (a podcast, a live blog).
    Coverage,
    /// Neither (a job ad, a deal, a round-up): it only clusters.
    Neither,
}

/// `roles[i]`: what `candidates[i]` may do for its story.
#[allow(clippy::too_many_arguments)]
pub(super) fn score_story<'a>(
    members: &[usize],
    candidates: &[&'a Candidate],
    roles: &[Role],
    shingles: &[Vec<u64>],
    kinds: &std::collections::HashMap<i64, SourceKind>,
    now: DateTime<Utc>,
    steering: &Steering,
) -> Option<Story<'a>> {
    let group: Vec<&Candidate> = members.iter().map(|&i| candidates[i]).collect();
    let group = group.as_slice();
    // The main source: of the reports that are news, the one with most
    // text, then highest weight, then the first listed. A story with none
    // is not news.
    let mut leads: Vec<usize> = (0..group.len())
        .filter(|&k| roles[members[k]] == Role::News)
        .collect();
    leads.sort_by(|&a, &b| {
        let (x, y) = (&group[a], &group[b]);
        y.word_count()
            .min(400)
            .cmp(&x.word_count().min(400))
            .then(y.source_weight.total_cmp(&x.source_weight))
            .then(a.cmp(&b))
    });
    let main_idx = *leads.first()?;
    // Whether candidates `i` and `j` are one report: the same text, or a
    // link to the same article.
    let copies = |i: usize, j: usize| {
        let (a, b) = (candidates[i], candidates[j]);
        crate::cluster::same_text(&shingles[i], &shingles[j])
            || a.canonical_link.is_some() && a.canonical_link == b.canonical_link
    };
    let main = group[main_idx];
    // Another outlet's own report may lead in the main report's place, not
    // a copy of it (an aggregator's link to the same article, or its text).
    let mut feeds_leading = HashSet::from([main.feed_id]);
    let kind_of = |c: &Candidate| kinds.get(&c.feed_id).copied().unwrap_or(SourceKind::News);
    let other_leads: Vec<usize> = leads
        .iter()
        .copied()
        .filter(|&k| {
            let c = group[k];
            !copies(members[k], members[main_idx])
                && kind_of(c) == SourceKind::News
                && feeds_leading.insert(c.feed_id)
        })
        .collect();
    let pinned = group.iter().any(|c| steering.pins(c));
    // A podcast's or live blog's title names an episode (a briefing's
    // several stories), not this report: only news reports' titles are read.
    let reports: Vec<&Candidate> = leads.iter().map(|&k| group[k]).collect();
    let (mut section, mut section_reason) = classify_group(main, group, &reports);
    if section == Section::Other {
        if !pinned {
            return None;
        }
        // The editor wants it in: it goes where its text leans.
        let scores = topic_scores(&format!("{}. {}", main.title, main.text));
        section = if scores[1] > scores[0] {
            Section::Business
        } else {
            Section::Tech
        };
        section_reason = format!("pinned; its text leans {}", section.as_str());
    }
    // A feed counts as coverage for a report of its own: an aggregator
    // re-posting another member's text, or its link, adds nothing.
    let mut sources: HashSet<i64> = HashSet::new();
    for (n, &i) in members.iter().enumerate() {
        if roles[i] == Role::Neither {
            continue;
        }
        let copy = members[..n]
            .iter()
            .any(|&j| candidates[i].feed_id != candidates[j].feed_id && copies(i, j));
        if !copy {
            sources.insert(candidates[i].feed_id);
        }
    }
    let newest = group
        .iter()
        .map(|c| c.published)
        .max()
        .unwrap_or(main.published);
    let age_hours = (now - newest).num_minutes().max(0) as f64 / 60.0;
    let words = main.word_count();
    let best = group
        .iter()
        .max_by(|a, b| {
            (a.source_weight * kind_of(a).standing())
                .total_cmp(&(b.source_weight * kind_of(b).standing()))
        })
        .expect("a story has a report");
    let signals = super::substance::signals(&main.title, &main.text);
    let parts = ScoreParts {
        standing: best.source_weight * kind_of(best).standing(),
        weight: best.source_weight,
        kind: kind_of(best),
        recency: (-age_hours / 96.0).exp(),
        age_hours,
        coverage: 1.0 + 0.6 * (sources.len() as f64 - 1.0),
        sources: sources.len(),
        substance: super::substance::substance(signals),
        signals,
        words,
        penalty: penalty(&main.title, &main.text),
    };
    let score =
        parts.standing * (0.3 + parts.recency) * parts.coverage * parts.substance * parts.penalty;
    let also = group.iter().filter(|c| c.feed_id != main.feed_id).fold(
        Vec::<SourceRef>::new(),
        |mut acc, c| {
            if !acc.iter().any(|s| s.name == c.source_name) {
                acc.push(SourceRef {
                    name: c.source_name.clone(),
                    link: c.link.clone(),
                });
            }
            acc
        },
    );
    let merged = (0..group.len())
        .filter(|&i| i != main_idx)
        .map(|i| SourceRef {
            name: group[i].source_name.clone(),
            link: group[i].link.clone(),
        })
        .collect();
    // The titles the story is known by: its news and coverage, main first.
    let mut titles = vec![main.title.as_str()];
    let mut title_of: Vec<Option<usize>> = vec![None; group.len()];
    for k in (0..group.len()).filter(|&k| k != main_idx && roles[members[k]] != Role::Neither) {
        title_of[k] = Some(titles.len());
        titles.push(group[k].title.as_str());
    }
    let other_leads = other_leads
        .into_iter()
        .filter_map(|k| Some((title_of[k]?, group[k])))
        .collect();
    Some(Story {
        titles,
        other_leads,
        members: merged,
        item_ids: group.iter().map(|c| c.item_id).collect(),
        main,
        position: members[main_idx],
        section,
        section_reason,
        score,
        parts,
        pinned,
        also,
        follows: None,
    })
}

/// Clickbait and press-release boilerplate make poor lead stories: they keep
/// a fraction of their score. (Paid posts and deals are not news at all:
/// `super::non_news` keeps them out.)
pub(super) fn penalty(title: &str, text: &str) -> f64 {
    let t = title.to_lowercase();
    let opening: String = text.chars().take(300).collect::<String>().to_lowercase();
    let mut p = 1.0;
    const BAIT: &[&str] = &[
        "you won't believe",
        "this one trick",
        "what happened next",
        "shocking",
        "must see",
        "must-see",
        "here's why",
        "top 10",
        "jaw-dropping",
        "mind-blowing",
    ];
    if BAIT.iter().any(|b| t.contains(b)) {
        p *= 0.3;
    }
    let lower = text.to_lowercase();
    let wire = [
        "prnewswire",
        "business wire",
        "globe newswire",
        "accesswire",
    ];
    if lower.contains("forward-looking statements")
        || lower.contains("about the company") && lower.contains("media contact")
        || wire.iter().any(|w| opening.contains(w))
    {
        p *= 0.5;
    }
    p
}
