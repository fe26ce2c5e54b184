//! The editor's judgment: classify each candidate into a section, merge items
//! about the same story (`crate::cluster`), rank, and select the top stories
//! per section. Pure: values in, values out. One file per job: `classify`
//! (with `learned` weights over `wordpiece`s for short texts), `non_news`,
//! `novelty`, `substance`, `rank` and `select`; this one holds the types and chains them.

mod classify;
mod learned;
mod non_news;
mod novelty;
mod rank;
mod select;
mod substance;
mod wordpiece;

pub use classify::{
    DecidedBy, Decision, Evidence, SHORT_TEXT_WORDS, classify, classify_explained, classify_text,
    evidence, topic_scores,
};
pub use learned::{PieceEvidence, Scores as LearnedScores, evidence as learned_evidence};
pub use non_news::{NotNews, not_news};
pub use novelty::{Follows, Sent, SentReport, facts};

use crate::cluster::{self, Report};
use crate::config::PickSettings;
use crate::domain::{Section, SourceKind};
use chrono::{DateTime, Utc};
use rank::{Story, score_story};
use std::collections::HashSet;

/// An article that could make the edition.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub item_id: i64,
    pub feed_id: i64,
    pub source_name: String,
    pub source_weight: f64,
    /// As configured; `None` lets `pick` tell it from the feed's links.
    pub source_kind: Option<SourceKind>,
    pub section_hint: Option<Section>,
    pub title: String,
    pub link: Option<String>,
    pub canonical_link: Option<String>,
    pub published: DateTime<Utc>,
    pub categories: Vec<String>,
    /// Clean article text (may be only an excerpt until the page is fetched).
    pub text: String,
}

impl Candidate {
    pub fn word_count(&self) -> usize {
        self.text.split_whitespace().count()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SourceRef {
    pub name: String,
    pub link: Option<String>,
}

/// A ranked story: picked for the edition, or a runner-up.
#[derive(Debug, Clone)]
pub struct Pick {
    pub candidate: Candidate,
    pub section: Section,
    /// Why it is in that section, in words.
    pub section_reason: String,
    pub score: f64,
    pub parts: ScoreParts,
    /// An editor pinned it: it goes in whatever its score.
    pub pinned: bool,
    /// Other feeds that covered the same story.
    pub also: Vec<SourceRef>,
    /// Every other item merged into the story, from the same feed too, in
    /// candidate order (the report the score was read from first, when
    /// another feed's report leads).
    pub members: Vec<SourceRef>,
    /// Every item merged into this story, the main one included.
    pub item_ids: Vec<i64>,
    /// The earlier edition's story this one develops, in words.
    pub follows: Option<String>,
    /// Why another outlet's report leads the story rather than the one its
    /// score was read from, if one does.
    pub led_instead: Option<String>,
}

/// The factors of a story's score, kept so an editor can see why it ranks
/// where it does: score = standing × (0.3 + recency) × coverage × substance × penalty.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreParts {
    /// The best standing among the story's feeds: configured weight × the
    /// share its kind carries (`SourceKind::standing`).
    pub standing: f64,
    /// That feed's configured weight and kind.
    pub weight: f64,
    pub kind: SourceKind,
    /// exp(-age / 96 h), from the newest report.
    pub recency: f64,
    pub age_hours: f64,
    /// 1 + 0.6 per extra feed with a report of its own (a copy of another
    /// member's text counts once).
    pub coverage: f64,
    pub sources: usize,
    /// 0.5 to 1.0 by the news signals in the main report's title and
    /// opening: figures, names, words of results, deals and rulings.
    pub substance: f64,
    pub signals: usize,
    pub words: usize,
    /// 1.0, or less for clickbait and press releases.
    pub penalty: f64,
}

/// What editors asked of the next edition.
#[derive(Debug, Clone, Default)]
pub struct Steering {
    /// Canonical links that must appear (outside the window and novelty rules too).
    pub pinned: HashSet<String>,
    /// Canonical links that must not appear. A block beats a pin.
    pub blocked_items: HashSet<String>,
    /// Feeds none of whose items may appear.
    pub blocked_feeds: HashSet<i64>,
}

impl Steering {
    fn blocks(&self, c: &Candidate) -> bool {
        self.blocked_feeds.contains(&c.feed_id)
            || c.canonical_link
                .as_ref()
                .is_some_and(|l| self.blocked_items.contains(l))
    }

    fn pins(&self, c: &Candidate) -> bool {
        c.canonical_link
            .as_ref()
            .is_some_and(|l| self.pinned.contains(l))
    }
}

/// The edition's stories and, per section, the best of the rest.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub picks: Vec<Pick>,
    pub runners_up: Vec<RunnerUp>,
    /// Items kept out before clustering because they are not news, in
    /// candidate order.
    pub not_news: Vec<KeptOut>,
}

/// An item that is not news, and why.
#[derive(Debug, Clone)]
pub struct KeptOut {
    pub title: String,
    pub source: String,
    pub why: NotNews,
}

#[derive(Debug, Clone)]
pub struct RunnerUp {
    pub pick: Pick,
    /// Why it was left out, in words.
    pub why: String,
}

/// Ranks and selects. Stories in `sent` never return, unless an editor pins one.
pub fn pick(
    candidates: &[Candidate],
    settings: &PickSettings,
    now: DateTime<Utc>,
    sent: &Sent,
    steering: &Steering,
) -> Selection {
    let window_start = now - chrono::Duration::days(settings.window_days);
    // Shingled once: for the check against what was sent, then for clustering.
    let (fresh, texts): (Vec<&Candidate>, Vec<Vec<u64>>) = candidates
        .iter()
        .filter(|c| !steering.blocks(c) && !c.title.trim().is_empty())
        .map(|c| (c, cluster::shingles(&c.text)))
        .filter(|(c, text)| {
            steering.pins(c)
                || c.published >= window_start
                    && c.published <= now + chrono::Duration::hours(1)
                    && !sent.carried(c, text)
        })
        .unzip();
    let reports: Vec<Report<'_>> = fresh
        .iter()
        .map(|c| Report {
            feed_id: c.feed_id,
            title: &c.title,
            text: &c.text,
            canonical_link: c.canonical_link.as_deref(),
            published: c.published,
        })
        .collect();
    let groups = cluster::stories(&reports, &texts);
    drop(reports);
    // What is not news still clusters with the story it is about, but never
    // leads one; only an outlet's podcast or live blog counts as its
    // coverage, not a job ad, a deal or a round-up.
    let mut kept_out = Vec::new();
    let roles: Vec<rank::Role> = fresh
        .iter()
        .map(|c| {
            if steering.pins(c) {
                return rank::Role::News;
            }
            match not_news(&c.title, &c.text, &c.categories, c.link.as_deref()) {
                None => rank::Role::News,
                Some(why) => {
                    let role = if why.is_reporting() {
                        rank::Role::Coverage
                    } else {
                        rank::Role::Neither
                    };
                    kept_out.push(KeptOut {
                        title: c.title.clone(),
                        source: c.source_name.clone(),
                        why,
                    });
                    role
                }
            }
        })
        .collect();
    let kinds = feed_kinds(&fresh);
    // A story an earlier edition told, re-worded, stays out unless it brings new facts.
    let members: Vec<Vec<&Candidate>> = groups
        .iter()
        .map(|g| g.iter().map(|&i| fresh[i]).collect())
        .collect();
    let follows = sent.follows(&members);
    drop(members);
    let mut stories: Vec<Story<'_>> = groups
        .into_iter()
        .zip(follows)
        .filter(|(group, f)| {
            f.as_ref().is_none_or(Follows::is_development)
                || group.iter().any(|&i| steering.pins(fresh[i]))
        })
        .filter_map(|(group, f)| {
            let mut story = score_story(&group, &fresh, &roles, &texts, &kinds, now, steering)?;
            story.follows = f.map(|f| f.describe());
            Some(story)
        })
        .collect();
    drop(texts);
    // Ties go by place in the candidates, never by database id: ids follow
    // the order concurrent fetches happened to store items in.
    stories.sort_by(|a, b| {
        b.pinned
            .cmp(&a.pinned)
            .then(b.score.total_cmp(&a.score))
            .then(a.position.cmp(&b.position))
    });
    Selection {
        not_news: kept_out,
        ..select::select(&stories, settings)
    }
}

/// Feeds with at least this many linked items can be told to be aggregators.
const KIND_EVIDENCE: usize = 5;

/// Each feed's kind: as configured, else an aggregator when most of its
/// items link to hosts other than its commonest one (a newsroom links to its
/// own site), else a news outlet.
fn feed_kinds(candidates: &[&Candidate]) -> std::collections::HashMap<i64, SourceKind> {
    use std::collections::HashMap;
    let mut hosts: HashMap<i64, HashMap<String, usize>> = HashMap::new();
    let mut configured: HashMap<i64, SourceKind> = HashMap::new();
    for c in candidates {
        if let Some(k) = c.source_kind {
            configured.insert(c.feed_id, k);
            continue;
        }
        let host = c
            .link
            .as_deref()
            .and_then(|l| url::Url::parse(l).ok())
            .and_then(|u| {
                u.host_str()
                    .map(|h| h.trim_start_matches("www.").to_string())
            });
        if let Some(h) = host {
            *hosts.entry(c.feed_id).or_default().entry(h).or_default() += 1;
        }
    }
    let mut kinds = configured;
    for (feed, counts) in hosts {
        let linked: usize = counts.values().sum();
        let commonest = counts.values().copied().max().unwrap_or(0);
        let kind = if linked >= KIND_EVIDENCE && 2 * commonest < linked {
            SourceKind::Aggregator
        } else {
            SourceKind::News
        };
        kinds.entry(feed).or_insert(kind);
    }
    kinds
}

#[cfg(test)]
mod tests {
    use super::rank::penalty;
    use super::*;
    use chrono::TimeZone;

    fn cand(id: i64, feed: i64, title: &str, hours_old: i64, link: &str) -> Candidate {
        let now = Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap();
        Candidate {
            item_id: id,
            feed_id: feed,
            source_name: format!("Feed {feed}"),
            source_weight: 1.0,
            source_kind: None,
            section_hint: Some(Section::Tech),
            title: title.into(),
            link: Some(link.into()),
            canonical_link: Some(link.into()),
            published: now - chrono::Duration::hours(hours_old),
            categories: vec![],
            text: "Some words here. ".repeat(40),
        }
    }

    /// The picks alone, with no editor steering.
    fn picks_of(
        items: Vec<Candidate>,
        settings: &PickSettings,
        now: DateTime<Utc>,
        sent: &HashSet<String>,
    ) -> Vec<Pick> {
        let sent = Sent::new(sent.clone(), []);
        pick(&items, settings, now, &sent, &Steering::default()).picks
    }

    /// `pick` with the default settings, nothing sent before and no steering.
    fn pick_plain(items: &[Candidate]) -> Selection {
        pick(
            items,
            &PickSettings::default(),
            now(),
            &Sent::default(),
            &Steering::default(),
        )
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap()
    }

    #[test]
    fn coverage_by_three_feeds_outranks_a_single_source() {
        let items = vec![
            cand(
                1,
                1,
                "Lonely scoop about a database release",
                10,
                "https://a/1",
            ),
            cand(
                2,
                1,
                "Chip maker unveils faster laptop processor line",
                10,
                "https://a/2",
            ),
            cand(
                3,
                2,
                "Chip maker unveils faster laptop processor line today",
                10,
                "https://b/2",
            ),
            cand(
                4,
                3,
                "Chip maker unveils faster laptop processor",
                10,
                "https://c/2",
            ),
        ];
        let picks = picks_of(items, &PickSettings::default(), now(), &HashSet::new());
        assert!(picks[0].candidate.title.contains("processor"));
        assert_eq!(picks[0].also.len(), 2);
        assert_eq!(picks.len(), 2);
    }

    #[test]
    fn stories_sharing_only_dates_and_common_words_stay_apart() {
        let mut a = cand(
            1,
            1,
            "Central bank holds rates and signals cuts",
            5,
            "https://a/1",
        );
        a.text = "The central bank kept its main rate at 4.25% on Thursday. In October inflation fell to 2.6% as The economy slowed in 2026.".into();
        let mut b = cand(
            2,
            2,
            "Office landlords sell buildings at steep discounts",
            5,
            "https://b/1",
        );
        b.text = "Owners of office buildings sold properties on Thursday. In October, The analysts at Keystone said prices fell in 2026.".into();
        let picks = picks_of(vec![a, b], &PickSettings::default(), now(), &HashSet::new());
        assert_eq!(picks.len(), 2);
        assert!(picks.iter().all(|p| p.also.is_empty()));
    }

    #[test]
    fn one_event_in_different_words_is_one_story() {
        let mut a = cand(
            1,
            1,
            "Harbor Bank agrees to buy Northgate in $8.4 billion deal",
            5,
            "https://a/1",
        );
        a.text = "Harbor Bank agreed on Tuesday to buy regional lender Northgate Financial for $8.4 billion. Northgate shareholders will receive $42 a share.".into();
        let mut b = cand(
            2,
            2,
            "Harbor and Northgate banks to merge",
            6,
            "https://b/1",
        );
        b.text = "Harbor Bank will buy Northgate Financial for $8.4 billion, the banks said, paying shareholders $42 a share.".into();
        let picks = picks_of(vec![a, b], &PickSettings::default(), now(), &HashSet::new());
        assert_eq!(picks.len(), 1);
        assert_eq!(picks[0].also.len(), 1);
    }

    #[test]
    fn old_and_already_sent_items_are_left_out() {
        let items = vec![
            cand(
                1,
                1,
                "Too old to count for this week",
                24 * 9,
                "https://a/1",
            ),
            cand(2, 1, "Sent last week already", 5, "https://a/2"),
        ];
        let sent: HashSet<String> = ["https://a/2".to_string()].into();
        assert!(picks_of(items, &PickSettings::default(), now(), &sent).is_empty());
    }

    #[test]
    fn caps_per_section_and_per_source() {
        // Ten different stories, alternating between two feeds.
        let titles = [
            "Kestrel ships a laptop with a week of battery",
            "Router firmware flaw lets attackers in",
            "Browser makers agree on passkey sync",
            "Satellite broadband reaches rural Europe",
            "Compiler release halves build times",
            "Database vendor open-sources its engine",
            "Delivery drones cleared for city flights",
            "Camera sensor sees in the dark",
            "Solid-state battery enters production",
            "Keyboard maker recalls wireless models",
        ];
        let items: Vec<Candidate> = (0..10)
            .map(|i| cand(i, i % 2, titles[i as usize], i, &format!("https://x/{i}")))
            .collect();
        let s = PickSettings {
            per_section: 3,
            max_per_source: 2,
            ..PickSettings::default()
        };
        let picks = picks_of(items, &s, now(), &HashSet::new());
        assert_eq!(picks.len(), 3);
        assert!(picks.iter().filter(|p| p.candidate.feed_id == 0).count() <= 2);
    }

    fn small_sections() -> PickSettings {
        PickSettings {
            per_section: 1,
            max_per_source: 1,
            ..PickSettings::default()
        }
    }

    fn tech(id: i64, feed: i64, title: &str, hours_old: i64) -> Candidate {
        let mut c = cand(
            id,
            feed,
            title,
            hours_old,
            &format!("https://example.com/{id}"),
        );
        c.section_hint = Some(Section::Tech);
        c
    }

    #[test]
    fn a_pinned_item_always_appears() {
        // Weak, old, outside the window, already sent, and the section is full.
        let strong = tech(1, 1, "Chip maker unveils a faster processor", 2);
        let mut weak = tech(2, 2, "Minor update to a little-known text editor", 24 * 30);
        weak.source_weight = 0.1;
        let link = weak.canonical_link.clone().unwrap();
        let steering = Steering {
            pinned: HashSet::from([link.clone()]),
            ..Steering::default()
        };
        let sent = Sent::new(HashSet::from([link]), []);
        let s = pick(&[strong, weak], &small_sections(), now(), &sent, &steering);
        let ids: Vec<i64> = s.picks.iter().map(|p| p.candidate.item_id).collect();
        assert_eq!(ids, [2], "the pin takes the one slot");
        assert!(s.picks[0].pinned);
        assert!(s.runners_up[0].why.contains("pick.per_section"));
    }

    #[test]
    fn a_pinned_story_outside_the_sections_still_goes_in() {
        let mut c = cand(
            1,
            1,
            "Village choir wins the regional singing contest",
            2,
            "https://example.com/choir",
        );
        c.section_hint = None;
        c.text = "The choir will perform again at the summer fair.".into();
        let steering = Steering {
            pinned: HashSet::from(["https://example.com/choir".to_string()]),
            ..Steering::default()
        };
        let s = pick(
            &[c],
            &PickSettings::default(),
            now(),
            &Sent::default(),
            &steering,
        );
        assert_eq!(s.picks.len(), 1);
        assert!(s.picks[0].section_reason.starts_with("pinned"));
    }

    #[test]
    fn blocked_sources_and_items_never_appear() {
        let items = vec![
            tech(1, 1, "Chip maker unveils a faster processor", 2),
            tech(2, 2, "Browser makers agree on passkey sync", 3),
            tech(3, 3, "Satellite broadband reaches rural Europe", 4),
        ];
        let steering = Steering {
            blocked_feeds: HashSet::from([1]),
            blocked_items: HashSet::from(["https://example.com/3".to_string()]),
            // A block beats a pin.
            pinned: HashSet::from(["https://example.com/3".to_string()]),
        };
        let s = pick(
            &items,
            &PickSettings::default(),
            now(),
            &Sent::default(),
            &steering,
        );
        let ids: Vec<i64> = s.picks.iter().map(|p| p.candidate.item_id).collect();
        assert_eq!(ids, [2]);
        assert!(s.runners_up.is_empty());
    }

    #[test]
    fn a_story_that_repeats_a_chosen_one_is_left_out_and_says_which() {
        // Clustering keeps these apart (two of the second story's three
        // copies have titles unlike the first's), but its main report's
        // title is the first story again.
        let mut first = tech(
            1,
            1,
            "Nvidia pauses plan to invest $100 billion in OpenAI",
            2,
        );
        first.text =
            "Nvidia has paused its plan to put money into OpenAI, people familiar said.".into();
        let copy_text = "Talks over the investment stalled this week, the chip maker's chief \
                         said, calling the reports of friction between the two companies overblown.";
        let mut again = vec![];
        for (id, feed, title) in [
            (
                2,
                2,
                "The $100B megadeal between OpenAI and Nvidia is on ice",
            ),
            (3, 3, "Chief executive calls friction reports nonsense"),
            (4, 4, "What the stalled talks mean for the AI build-out"),
        ] {
            let mut c = tech(id, feed, title, 3);
            c.text = copy_text.into();
            again.push(c);
        }
        let other = tech(5, 5, "Browser makers agree on passkey sync", 4);
        let mut items = vec![first, other];
        items.extend(again);
        let s = pick_plain(&items);
        let ids: Vec<i64> = s.picks.iter().map(|p| p.candidate.item_id).collect();
        assert!(ids.contains(&1) && ids.contains(&5), "{ids:?}");
        assert_eq!(ids.len(), 2, "{ids:?}");
        let why = &s.runners_up[0].why;
        assert!(why.starts_with("the same story as the pick"), "{why}");
        assert!(why.contains("megadeal"), "{why}");
    }

    #[test]
    fn a_story_reads_its_section_from_all_its_reports() {
        let text =
            "Owners gathered on Saturday to remember the car, which first went on sale in 2012.";
        let mut items = vec![];
        for (id, feed, title) in [
            (1, 1, "The Orrin Model S changed how we think of cars"),
            (
                2,
                2,
                "Orrin Model S ends as the software maker bets on AI chips",
            ),
            (
                3,
                3,
                "Orrin Model S ends: what the robotaxi software plan means",
            ),
        ] {
            let mut c = cand(id, feed, title, 2, &format!("https://example.com/{id}"));
            c.section_hint = None;
            c.text = text.into();
            items.push(c);
        }
        // The first report's text alone gives the lexicon nothing clear: it
        // falls to the learned guess. The story's other titles make it clear.
        let alone = pick_plain(&items[..1]);
        assert!(alone.picks[0].section_reason.contains("learned weights"));
        let s = pick_plain(&items);
        assert_eq!(s.picks.len(), 1);
        let why = &s.picks[0].section_reason;
        assert_eq!(s.picks[0].section, Section::Tech, "{why}");
        assert!(!why.contains("learned"), "{why}");
    }

    #[test]
    fn a_story_over_its_outlets_cap_is_led_by_another_outlets_report() {
        let items = || {
            let mut first = tech(1, 1, "Chip maker unveils a faster processor", 2);
            first.text = "Kestrel said on Tuesday its K9 chip runs 40% faster. ".repeat(6);
            let mut long = tech(2, 1, "Browser makers agree on passkey sync", 80);
            long.text = "Four browser makers agreed on Monday to sync passkeys. ".repeat(8);
            let mut short = tech(3, 2, "Browser makers agree on passkey sync", 81);
            short.text = "The four makers will ship it in March.".into();
            vec![first, long, short]
        };
        let settings = PickSettings {
            max_per_source: 1,
            ..PickSettings::default()
        };
        let run = |items: &[Candidate]| {
            pick(
                items,
                &settings,
                now(),
                &Sent::default(),
                &Steering::default(),
            )
        };
        let s = run(&items());
        let led: Vec<(i64, &str)> = s
            .picks
            .iter()
            .map(|p| (p.candidate.item_id, p.candidate.source_name.as_str()))
            .collect();
        assert_eq!(led, [(1, "Feed 1"), (3, "Feed 2")]);
        let second = &s.picks[1];
        assert_eq!(second.also.len(), 1);
        assert_eq!(second.also[0].name, "Feed 1");
        assert!(second.members.iter().any(|m| m.name == "Feed 1"));
        let why = second.led_instead.as_deref().unwrap();
        assert!(why.starts_with("led by Feed 2's report"), "{why}");

        // A report that on its own belongs in another section does not lead.
        let mut items = items();
        items[2].text = "Police said the gunman was arrested after the shooting, and the army \
                         sent soldiers as the storm killed two people."
            .into();
        let s = run(&items);
        let led: Vec<i64> = s.picks.iter().map(|p| p.candidate.item_id).collect();
        assert_eq!(led, [1]);
        let why = &s.runners_up[0].why;
        assert!(why.contains("pick.max_per_source"), "{why}");
    }

    #[test]
    fn runners_up_say_why_they_were_left_out() {
        let items = vec![
            tech(1, 1, "Chip maker unveils a faster processor", 2),
            tech(2, 1, "Feed reader adds an offline mode", 3),
            tech(3, 2, "Browser makers agree on passkey sync", 30),
        ];
        let settings = PickSettings {
            per_section: 2,
            max_per_source: 1,
            ..PickSettings::default()
        };
        let s = pick(
            &items,
            &settings,
            now(),
            &Sent::default(),
            &Steering::default(),
        );
        let ids: Vec<i64> = s.picks.iter().map(|p| p.candidate.item_id).collect();
        assert_eq!(ids, [1, 3]);
        assert_eq!(s.runners_up.len(), 1);
        assert!(
            s.runners_up[0].why.contains("pick.max_per_source"),
            "{}",
            s.runners_up[0].why
        );
        let parts = s.picks[0].parts;
        let product = parts.standing
            * (0.3 + parts.recency)
            * parts.coverage
            * parts.substance
            * parts.penalty;
        assert!(
            (product - s.picks[0].score).abs() < 1e-9,
            "the parts explain the score"
        );
    }

    const DEAL_TEXT: &str = "Harbor Bank agreed on Tuesday to buy regional lender Northgate Financial for $8.4 billion in cash and shares, creating the fifth-largest bank on the East Coast by deposits. Northgate shareholders will receive $42 a share, a 28% premium to the closing price on Monday. The deal needs approval from regulators and is expected to close in the second half of next year, the two banks said in a joint statement.";

    #[test]
    fn an_aggregator_copy_is_not_coverage_of_its_own() {
        let text = "Kestrel Semiconductor unveiled its K9 processor for thin laptops on Tuesday, claiming it doubles battery life compared with last year's chip while running office software faster. Laptop makers Orrin and Valebrook will ship the first machines in February.";
        let mut original = tech(1, 1, "Kestrel unveils K9 laptop chip", 5);
        original.text = text.into();
        let mut copy = tech(2, 2, "Kestrel unveils K9 laptop chip", 4);
        copy.text = text.into();
        let mut own = tech(3, 3, "Kestrel's K9 laptop chip doubles battery life", 3);
        own.text = "Chip designer Kestrel said its new K9 part lasts twice as long on a charge, and Orrin laptops using it arrive in February.".into();
        let picks = picks_of(
            vec![original, copy, own],
            &PickSettings::default(),
            now(),
            &HashSet::new(),
        );
        assert_eq!(picks.len(), 1);
        // Three feeds, two reports: the copy adds nothing.
        assert_eq!(picks[0].parts.sources, 2);
        assert_eq!(picks[0].members.len(), 2);
    }

    #[test]
    fn two_events_about_one_company_stay_two_stories() {
        let mut sales = tech(1, 1, "Lumo sells 1 million phones in 18 days in India", 5);
        sales.text = "Phone maker Lumo said on Friday it sold 1 million smartphones in India in just 18 days, a record for the company in the country. Lumo thanked its fans in India on Facebook and said demand for its budget models was strong.".into();
        let mut shipments = tech(2, 2, "Lumo shipments leap 70% in the second quarter", 8);
        shipments.text = "Lumo shipped 23.16 million smartphones in the second quarter, a 70% leap on the previous quarter, ending a collapse in sales that began last year. The company said its new models and stores in China drove the recovery.".into();
        let picks = picks_of(
            vec![sales, shipments],
            &PickSettings::default(),
            now(),
            &HashSet::new(),
        );
        assert_eq!(
            picks.len(),
            2,
            "{:?}",
            picks.iter().map(|p| &p.candidate.title).collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_republished_story_is_not_picked_twice() {
        // New GUID, edited title, even a new URL: the text gives it away.
        let mut again = tech(7, 1, "UPDATED: Harbor Bank to buy rival Northgate", 1);
        again.link = Some("https://example.com/harbor-northgate-updated".into());
        again.canonical_link = again.link.clone();
        again.text = format!("{DEAL_TEXT} Shares of Northgate rose in early trading.");
        let sent = Sent::new(
            HashSet::from(["https://example.com/harbor".to_string()]),
            [SentReport {
                edition: "2026-W46".into(),
                title: "Harbor Bank agrees to buy Northgate".into(),
                text: DEAL_TEXT.into(),
            }],
        );
        let other = tech(8, 2, "Browser makers agree on passkey sync", 3);
        let s = pick(
            &[again, other],
            &PickSettings::default(),
            now(),
            &sent,
            &Steering::default(),
        );
        let ids: Vec<i64> = s.picks.iter().map(|p| p.candidate.item_id).collect();
        assert_eq!(ids, [8]);
    }

    #[test]
    fn copies_of_one_report_under_different_titles_are_one_story() {
        let mut a = tech(1, 1, "Harbor Bank agrees Northgate takeover", 2);
        a.text = DEAL_TEXT.into();
        let mut b = tech(2, 2, "East Coast banking shake-up as lenders combine", 3);
        b.link = Some("https://example.org/wire/88".into());
        b.canonical_link = b.link.clone();
        b.text = DEAL_TEXT.replace("Tuesday", "Tuesday morning");
        let picks = picks_of(vec![a, b], &PickSettings::default(), now(), &HashSet::new());
        assert_eq!(picks.len(), 1);
        // Both outlets are credited; the copy is not coverage of its own.
        assert_eq!(picks[0].also.len(), 1);
        assert_eq!(picks[0].parts.sources, 1);
    }

    #[test]
    fn stories_under_the_floor_are_not_sent_however_empty_the_section() {
        let items = vec![
            tech(1, 1, "Chip maker unveils a faster processor", 2),
            // A week old: recency is small, so it scores under a high floor.
            tech(2, 2, "Browser makers agree on passkey sync", 160),
        ];
        let settings = PickSettings {
            min_score: 0.5,
            ..PickSettings::default()
        };
        let s = pick(
            &items,
            &settings,
            now(),
            &Sent::default(),
            &Steering::default(),
        );
        assert_eq!(
            s.picks
                .iter()
                .map(|p| p.candidate.item_id)
                .collect::<Vec<_>>(),
            [1]
        );
        assert!(
            s.runners_up[0].why.starts_with("below the floor: score"),
            "{}",
            s.runners_up[0].why
        );
    }

    #[test]
    fn a_feed_of_links_elsewhere_is_an_aggregator_and_configured_kinds_stand() {
        let linked = |id: i64, feed: i64, host: &str| {
            let mut c = tech(id, feed, "A title", 1);
            c.link = Some(format!("https://{host}/story-{id}"));
            c
        };
        let mut items: Vec<Candidate> = (0..6)
            .map(|i| linked(i, 1, &format!("site{i}.example")))
            .collect();
        items.extend((10..16).map(|i| linked(i, 2, "www.outlet.example")));
        items.extend((20..26).map(|i| linked(i, 3, &format!("blog{i}.example"))));
        for c in items.iter_mut().filter(|c| c.feed_id == 3) {
            c.source_kind = Some(SourceKind::Personal);
        }
        // Too few links to tell: a news outlet.
        items.push(linked(30, 4, "a.example"));
        items.push(linked(31, 4, "b.example"));
        let refs: Vec<&Candidate> = items.iter().collect();
        let kinds = feed_kinds(&refs);
        assert_eq!(kinds[&1], SourceKind::Aggregator);
        assert_eq!(kinds[&2], SourceKind::News);
        assert_eq!(kinds[&3], SourceKind::Personal);
        assert_eq!(kinds[&4], SourceKind::News);
    }

    #[test]
    fn a_report_with_the_news_in_it_outranks_a_longer_one_without() {
        let mut news = tech(1, 1, "Kestrel's K9 chip ships to 40 laptop makers", 5);
        news.text = "Kestrel Semiconductor said on Tuesday it had shipped 2 million K9 chips to \
                     Dell and Lenovo, and raised its revenue forecast to $4bn."
            .into();
        let mut essay = tech(2, 2, "Some thoughts on laptops and how we use them", 5);
        essay.text = "I have been thinking about how we all use laptops these days. ".repeat(30);
        essay.canonical_link = Some("https://example.com/essay".into());
        let s = pick_plain(&[essay, news]);
        assert_eq!(s.picks[0].candidate.item_id, 1);
        assert!(s.picks[0].parts.signals > s.picks[1].parts.signals);
    }

    #[test]
    fn clickbait_and_press_releases_rank_lower() {
        let plain = penalty("Harbor Bank agrees to buy Northgate", DEAL_TEXT);
        assert_eq!(plain, 1.0);
        assert!(penalty("You won't believe what this bank did", DEAL_TEXT) < 0.5);
        let release = format!("NEW YORK, Nov. 20, 2026 /PRNewswire/ -- {DEAL_TEXT}");
        assert!(penalty("Harbor Bank announces agreement", &release) < 1.0);
    }

    #[test]
    fn a_podcast_on_a_story_is_its_outlets_coverage_but_never_leads_it() {
        let text = "Kestrel Semiconductor unveiled its K9 processor for thin laptops on Tuesday, claiming it doubles battery life compared with last year's chip.";
        let mut report = tech(1, 1, "Kestrel unveils K9 laptop chip", 2);
        report.text = text.into();
        let mut podcast = tech(2, 2, "Kestrel unveils K9 laptop chip (Podcast)", 1);
        podcast.text = "In this episode our hosts ask whether twice the battery life is real, and what it means for laptop makers next year.".into();
        podcast.canonical_link = Some("https://example.com/audio/k9".into());
        let mut ad = tech(3, 3, "Hiring: Kestrel K9 laptop chip engineer", 1);
        ad.text = "Apply now to join the team that designs the chips of tomorrow in a fast-growing company.".into();
        ad.canonical_link = Some("https://example.com/jobs/k9".into());
        let s = pick_plain(&[report, podcast, ad]);
        assert_eq!(s.picks.len(), 1);
        assert_eq!(s.picks[0].candidate.item_id, 1);
        // The podcast's outlet covered it; the job board did not.
        assert_eq!(s.picks[0].parts.sources, 2);
        assert_eq!(s.not_news.len(), 2);
    }

    #[test]
    fn a_briefings_title_does_not_tell_the_story_what_it_is_about() {
        // A daily briefing clusters with the bank's results, which it
        // covers, but its title also names the day's tech stories.
        let text = "Harbor Bank said on Tuesday that profit rose 12% as lending grew.";
        let mut report = cand(
            1,
            1,
            "Harbor Bank profit rises as lending grows",
            2,
            "https://example.com/1",
        );
        report.section_hint = None;
        report.text = text.into();
        let mut briefing = cand(
            2,
            2,
            "Podcast: software, internet and AI chip makers' apps, computers and smartphones; Harbor Bank",
            1,
            "https://example.com/audio/2",
        );
        briefing.section_hint = None;
        briefing.text = format!("In this episode: {text}");
        let s = pick_plain(&[report, briefing]);
        assert_eq!(s.picks.len(), 1, "{:?}", s.not_news);
        assert_eq!(s.picks[0].item_ids.len(), 2, "one story");
        let why = &s.picks[0].section_reason;
        assert_eq!(s.picks[0].section, Section::Business, "{why}");
    }

    #[test]
    fn paid_posts_and_deals_are_kept_out_and_say_why() {
        let mut paid = tech(1, 1, "Sponsored: the future of laptop chips", 1);
        paid.text = DEAL_TEXT.into();
        let mut deal = tech(3, 3, "Laptop deal of the day: 40% off", 1);
        deal.text = "Our favourite thin laptop is cheaper than ever this week at the big retailers, with the chip upgrade included at no extra cost for a limited time.".into();
        deal.canonical_link = Some("https://example.com/deal".into());
        let mut news = tech(2, 2, "Chip maker unveils a faster processor", 30);
        news.text = "Kestrel Semiconductor unveiled its K9 processor for thin laptops on Tuesday, claiming it doubles battery life compared with last year's chip while running office software faster. Laptop makers will ship the first machines with it in February.".into();
        news.canonical_link = Some("https://example.com/other".into());
        let s = pick_plain(&[paid, deal, news]);
        assert_eq!(
            s.picks
                .iter()
                .map(|p| p.candidate.item_id)
                .collect::<Vec<_>>(),
            [2]
        );
        let kinds: Vec<&str> = s.not_news.iter().map(|k| k.why.kind).collect();
        assert_eq!(kinds, ["sponsored", "deal"]);
        assert_eq!(s.picks[0].parts.sources, 1);
    }
}
