//! Which ranked stories make the edition: the top of each section, a few per
//! source, pins whatever the caps, and the best of the rest with the reason.

use super::rank::Story;
use super::{RunnerUp, Selection};
use crate::config::PickSettings;
use crate::domain::Section;
use std::collections::HashMap;

/// Runners-up listed per section.
const RUNNERS_UP: usize = 5;

/// Top K per section, at most M per source, none under the floor; pinned
/// stories first and whatever the caps.
pub(super) fn select(ranked: &[Story<'_>], settings: &PickSettings) -> Selection {
    let mut out = Selection::default();
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
                None
            };
            match why {
                None => {
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
