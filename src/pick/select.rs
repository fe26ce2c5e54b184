//! Which ranked stories make the edition: the top of each section, a few led
//! by each source, no story twice, pins whatever the caps, and the best of
//! the rest with the reason.

use super::classify::classify_explained;
use super::rank::Story;
use super::{Candidate, RunnerUp, Selection};
use crate::config::PickSettings;
use crate::domain::Section;
use std::collections::HashMap;

/// Runners-up listed per section.
const RUNNERS_UP: usize = 5;

/// Similarity of one report's title to one of a chosen story's at which a
/// story is that story again: clustering kept them apart on the mean over
/// all their pairs, but an editor would not run both. On the UCI
/// development headlines 78.8% and 77.5% of title pairs this alike are one
/// story on alternate halves of the weeks (72.8% and 71.0% at clustering's
/// 0.25); docs/CLUSTERING.md.
const ALREADY_CHOSEN: f64 = 0.4;

/// Every ranked story's titles as one batch, so that a one-pair test
/// weighs a word by how common it is across the week, as clustering does.
struct WeekTitles {
    titles: crate::cluster::Titles,
    /// Where each story's titles start.
    first: Vec<usize>,
}

impl WeekTitles {
    fn new(ranked: &[Story<'_>]) -> Self {
        let mut first = Vec::with_capacity(ranked.len());
        let mut n = 0;
        for s in ranked {
            first.push(n);
            n += s.titles.len();
        }
        let titles =
            crate::cluster::Titles::new(ranked.iter().flat_map(|s| s.titles.iter().copied()));
        WeekTitles { titles, first }
    }

    /// Whether title `a` of story `x` and title `b` of story `y` are one
    /// story by themselves.
    fn alike(&self, x: usize, a: usize, y: usize, b: usize) -> Option<f64> {
        self.titles
            .similarity(self.first[x] + a, self.first[y] + b)
            .filter(|&s| s >= ALREADY_CHOSEN)
    }

    /// Whether title `a` of story `x` is what the story is about: its main
    /// title, or one alike it (not a stray that clustering let in).
    fn own(&self, x: usize, a: usize) -> bool {
        a == 0 || self.alike(x, a, x, 0).is_some()
    }
}

/// The chosen story that story `x` repeats, and the two titles that say so.
fn repeats(
    ranked: &[Story<'_>],
    week: &WeekTitles,
    x: usize,
    chosen: &[(usize, &str)],
) -> Option<String> {
    let story = &ranked[x];
    chosen.iter().find_map(|&(y, shown)| {
        let c = &ranked[y];
        (0..story.titles.len())
            .flat_map(|a| (0..c.titles.len()).map(move |b| (a, b)))
            .find_map(|(a, b)| {
                let s = week.alike(x, a, y, b)?;
                (week.own(x, a) && week.own(y, b)).then(|| {
                    format!(
                        "the same story as the pick \"{shown}\": \"{}\" and \"{}\" are alike ({s:.2})",
                        story.titles[a], c.titles[b]
                    )
                })
            })
    })
}

/// Top K per section, at most M led by one source, none under the floor and
/// none twice; pinned stories first and whatever the caps.
pub(super) fn select(ranked: &[Story<'_>], settings: &PickSettings) -> Selection {
    let mut out = Selection::default();
    let week = WeekTitles::new(ranked);
    // The stories chosen so far, with the title each goes out under.
    let mut chosen: Vec<(usize, &str)> = Vec::new();
    for section in Section::EDITION {
        let mut per_source: HashMap<i64, usize> = HashMap::new();
        let mut taken = 0;
        let mut left_out = 0;
        for (x, p) in ranked
            .iter()
            .enumerate()
            .filter(|(_, p)| p.section == section)
        {
            let room =
                |feed: i64| per_source.get(&feed).copied().unwrap_or(0) < settings.max_per_source;
            let full = || {
                format!(
                    "{} already has {} stories in this section (pick.max_per_source)",
                    p.main.source_name, settings.max_per_source
                )
            };
            // Who leads the story, or why it is left out.
            let decision: Result<Option<&Candidate>, String> = if p.pinned {
                Ok(None)
            } else if p.score < settings.min_score {
                Err(format!(
                    "below the floor: score {:.2} < pick.min_score {}",
                    p.score, settings.min_score
                ))
            } else if taken >= settings.per_section {
                Err(format!(
                    "below the cut: the section is full (pick.per_section = {})",
                    settings.per_section
                ))
            } else if let Some(again) = repeats(ranked, &week, x, &chosen) {
                Err(again)
            } else if room(p.main.feed_id) {
                Ok(None)
            } else {
                // The cap is for variety of outlets: a story another outlet
                // reported too still goes in, led by that outlet's report,
                // if that report is the main one's story by its own title
                // (clustering's mean over many pairs can hold a stray) and
                // one for this section on its own.
                let lead = p.other_leads.iter().find(|&&(a, c)| {
                    room(c.feed_id) && week.alike(x, a, x, 0).is_some() && {
                        let link = c.link.as_deref();
                        classify_explained(c.section_hint, &c.categories, link, &c.title, &c.text)
                            .section
                            == section
                    }
                });
                lead.map(|&(_, c)| Some(c)).ok_or_else(full)
            };
            match decision {
                Ok(lead) => {
                    let leader = lead.unwrap_or(p.main);
                    chosen.push((x, leader.title.as_str()));
                    taken += 1;
                    *per_source.entry(leader.feed_id).or_default() += 1;
                    out.picks.push(match lead {
                        None => p.to_pick(),
                        Some(lead) => p.to_pick_led_by(
                            lead,
                            format!("led by {}'s report: {}", lead.source_name, full()),
                        ),
                    });
                }
                Err(why) if left_out < RUNNERS_UP => {
                    left_out += 1;
                    out.runners_up.push(RunnerUp {
                        pick: p.to_pick(),
                        why,
                    });
                }
                Err(_) => {}
            }
        }
    }
    out
}
