//! Which ranked stories make the edition: the top of each section, a few per
//! source, pins whatever the caps, and the best of the rest with the reason.

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

/// The chosen story `story` repeats, and the two titles that say so.
fn repeats<'s>(story: &Story<'_>, chosen: &[&'s Story<'s>]) -> Option<String> {
    chosen.iter().find_map(|c| {
        let (i, j, s) = crate::cluster::most_alike(&story.titles, &c.titles)?;
        (s >= ALREADY_CHOSEN).then(|| {
            format!(
                "the same story as the pick \"{}\": \"{}\" and \"{}\" are alike ({s:.2})",
                c.main.title, story.titles[i], c.titles[j]
            )
        })
    })
}

/// Top K per section, at most M led by one source, none under the floor and
/// none twice; pinned stories first and whatever the caps.
pub(super) fn select(ranked: &[Story<'_>], settings: &PickSettings) -> Selection {
    let mut out = Selection::default();
    let mut chosen: Vec<&Story<'_>> = Vec::new();
    for section in Section::EDITION {
        let mut per_source: HashMap<i64, usize> = HashMap::new();
        let mut taken = 0;
        let mut left_out = 0;
        for p in ranked.iter().filter(|p| p.section == section) {
            let room =
                |feed: i64| per_source.get(&feed).copied().unwrap_or(0) < settings.max_per_source;
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
            } else if let Some(again) = repeats(p, &chosen) {
                Err(again)
            } else if room(p.main.feed_id) {
                Ok(None)
            } else {
                // The cap is for variety of outlets: a story another outlet
                // reported too still goes in, led by that outlet's report,
                // if that report is the main one's story by its own title
                // (clustering's mean over many pairs can hold a stray) and
                // one for this section on its own.
                let lead = p.other_leads.iter().copied().find(|c| {
                    room(c.feed_id)
                        && crate::cluster::most_alike(&[c.title.as_str()], &[p.main.title.as_str()])
                            .is_some_and(|(_, _, s)| s >= ALREADY_CHOSEN)
                        && {
                            let link = c.link.as_deref();
                            classify_explained(
                                c.section_hint,
                                &c.categories,
                                link,
                                &c.title,
                                &c.text,
                            )
                            .section
                                == section
                        }
                });
                lead.map(Some).ok_or_else(|| {
                    format!(
                        "{} already has {} stories in this section (pick.max_per_source)",
                        p.main.source_name, settings.max_per_source
                    )
                })
            };
            match decision {
                Ok(lead) => {
                    chosen.push(p);
                    taken += 1;
                    let leader = lead.unwrap_or(p.main);
                    *per_source.entry(leader.feed_id).or_default() += 1;
                    out.picks.push(match lead {
                        None => p.to_pick(),
                        Some(lead) => p.to_pick_led_by(
                            lead,
                            format!(
                                "led by {}'s report: {} already has {} stories in this section (pick.max_per_source)",
                                lead.source_name, p.main.source_name, settings.max_per_source
                            ),
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
