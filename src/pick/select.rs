//! Which ranked stories make the edition: the top of each section, a few per
//! source, pins whatever the caps, and the best of the rest with the reason.

use super::rank::Story;
use super::{RunnerUp, Selection};
use crate::config::PickSettings;
use crate::domain::Section;
use std::collections::HashMap;

/// Runners-up listed per section.
const RUNNERS_UP: usize = 5;

/// Similarity of one report's title to one of a chosen story's at which a
/// story is that story again: clustering kept them apart on the mean over
/// all their pairs, but an editor would not run both. On the UCI
/// development headlines 80% of title pairs this alike are one story on
/// either half of the weeks (0.73 at clustering's 0.25).
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

/// Top K per section, at most M per source, none under the floor; pinned
/// stories first and whatever the caps.
pub(super) fn select(ranked: &[Story<'_>], settings: &PickSettings) -> Selection {
    let mut out = Selection::default();
    let mut chosen: Vec<&Story<'_>> = Vec::new();
    for section in Section::EDITION {
        let mut per_source: HashMap<i64, usize> = HashMap::new();
        let mut taken = 0;
        let mut left_out = 0;
        for p in ranked.iter().filter(|p| p.section == section) {
            let n = per_source.entry(p.main.feed_id).or_default();
            let why = if p.pinned {
                None
            } else if p.score < settings.min_score {
                Some(format!(
                    "below the floor: score {:.2} < pick.min_score {}",
                    p.score, settings.min_score
                ))
            } else if taken >= settings.per_section {
                Some(format!(
                    "below the cut: the section is full (pick.per_section = {})",
                    settings.per_section
                ))
            } else if *n >= settings.max_per_source {
                Some(format!(
                    "{} already has {} stories in this section (pick.max_per_source)",
                    p.main.source_name, settings.max_per_source
                ))
            } else {
                repeats(p, &chosen)
            };
            match why {
                None => {
                    chosen.push(p);
                    *n += 1;
                    taken += 1;
                    out.picks.push(p.to_pick());
                }
                Some(why) if left_out < RUNNERS_UP => {
                    left_out += 1;
                    out.runners_up.push(RunnerUp {
                        pick: p.to_pick(),
                        why,
                    });
                }
                Some(_) => {}
            }
        }
    }
    out
}
