//! The editor's judgment: classify each candidate into a section, merge items
//! about the same story, rank, and select the top stories per section.
//! Pure: values in, values out.

use crate::cluster::{self, MIN_SHINGLES, Report};
use crate::config::PickSettings;
use crate::domain::Section;
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};

/// An article that could make the edition.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub item_id: i64,
    pub feed_id: i64,
    pub source_name: String,
    pub source_weight: f64,
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
    /// candidate order.
    pub members: Vec<SourceRef>,
    /// Every item merged into this story, the main one included.
    pub item_ids: Vec<i64>,
}

/// The factors of a story's score, kept so an editor can see why it ranks
/// where it does: score = weight × (0.3 + recency) × coverage × quality × penalty.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreParts {
    /// The highest source weight among the story's feeds.
    pub weight: f64,
    /// exp(-age / 96 h), from the newest report.
    pub recency: f64,
    pub age_hours: f64,
    /// 1 + 0.6 per extra feed.
    pub coverage: f64,
    pub sources: usize,
    /// 0.5 to 1.0 by the main report's length (full marks at 150 words).
    pub quality: f64,
    pub words: usize,
    /// 1.0, or less for clickbait, deals and press releases.
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
}

#[derive(Debug, Clone)]
pub struct RunnerUp {
    pub pick: Pick,
    /// Why it was left out, in words.
    pub why: String,
}

/// Runners-up listed per section.
const RUNNERS_UP: usize = 5;

/// Stories earlier editions carried, as the novelty rule compares them: by
/// canonical link, and by text, so that a story re-published under a new
/// GUID, an edited title or even a new URL is still recognised.
#[derive(Debug, Clone, Default)]
pub struct Sent {
    links: HashSet<String>,
    texts: Vec<Vec<u64>>,
}

impl Sent {
    pub fn new<'a>(links: HashSet<String>, texts: impl IntoIterator<Item = &'a str>) -> Self {
        Self {
            links,
            texts: texts
                .into_iter()
                .map(cluster::shingles)
                .filter(|s| s.len() >= MIN_SHINGLES)
                .collect(),
        }
    }

    fn carried(&self, c: &Candidate, text: &[u64]) -> bool {
        c.canonical_link
            .as_ref()
            .is_some_and(|l| self.links.contains(l))
            || self.texts.iter().any(|t| cluster::same_text(t, text))
    }
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
    drop((reports, texts));
    let mut stories: Vec<Story<'_>> = groups
        .into_iter()
        .filter_map(|group| score_story(&group, &fresh, now, steering))
        .collect();
    // Ties go by place in the candidates, never by database id: ids follow
    // the order concurrent fetches happened to store items in.
    stories.sort_by(|a, b| {
        b.pinned
            .cmp(&a.pinned)
            .then(b.score.total_cmp(&a.score))
            .then(a.position.cmp(&b.position))
    });
    select(&stories, settings)
}

/// A ranked story before it is chosen: it borrows its main report, so a
/// week of many thousand stories copies only the few that are kept.
struct Story<'a> {
    main: &'a Candidate,
    /// The main report's place among the candidates.
    position: usize,
    section: Section,
    section_reason: String,
    score: f64,
    parts: ScoreParts,
    pinned: bool,
    also: Vec<SourceRef>,
    members: Vec<SourceRef>,
    item_ids: Vec<i64>,
}

impl Story<'_> {
    fn to_pick(&self) -> Pick {
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
        }
    }
}

/// Top K per section, at most M per source; pinned stories first and
/// whatever the caps.
fn select(ranked: &[Story<'_>], settings: &PickSettings) -> Selection {
    let mut out = Selection::default();
    for section in Section::EDITION {
        let mut per_source: HashMap<i64, usize> = HashMap::new();
        let mut taken = 0;
        let mut left_out = 0;
        for p in ranked.iter().filter(|p| p.section == section) {
            let n = per_source.entry(p.main.feed_id).or_default();
            let why = if p.pinned {
                None
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

/// `members`: the story's places in `candidates`, in ascending order.
fn score_story<'a>(
    members: &[usize],
    candidates: &[&'a Candidate],
    now: DateTime<Utc>,
    steering: &Steering,
) -> Option<Story<'a>> {
    let group: Vec<&Candidate> = members.iter().map(|&i| candidates[i]).collect();
    let group = group.as_slice();
    // The main source: the one with most text, then highest weight, then
    // the first listed.
    let main_idx = (0..group.len()).max_by(|&a, &b| {
        let (x, y) = (&group[a], &group[b]);
        x.word_count()
            .min(400)
            .cmp(&y.word_count().min(400))
            .then(x.source_weight.total_cmp(&y.source_weight))
            .then(b.cmp(&a))
    })?;
    let main = group[main_idx];
    let pinned = group.iter().any(|c| steering.pins(c));
    let (mut section, mut section_reason) = classify_group(main, group);
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
    let sources: HashSet<i64> = group.iter().map(|c| c.feed_id).collect();
    let newest = group
        .iter()
        .map(|c| c.published)
        .max()
        .unwrap_or(main.published);
    let age_hours = (now - newest).num_minutes().max(0) as f64 / 60.0;
    let words = main.word_count();
    let parts = ScoreParts {
        weight: group.iter().map(|c| c.source_weight).fold(0.0, f64::max),
        recency: (-age_hours / 96.0).exp(),
        age_hours,
        coverage: 1.0 + 0.6 * (sources.len() as f64 - 1.0),
        sources: sources.len(),
        quality: 0.5 + 0.5 * (words as f64 / 150.0).min(1.0),
        words,
        penalty: penalty(&main.title, &main.text, &main.categories),
    };
    let score =
        parts.weight * (0.3 + parts.recency) * parts.coverage * parts.quality * parts.penalty;
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
    Some(Story {
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
    })
}

/// Clickbait, paid posts, deals and press-release boilerplate make poor lead
/// stories: they keep a fraction of their score.
fn penalty(title: &str, text: &str, categories: &[String]) -> f64 {
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
    const PAID: &[&str] = &[
        "sponsored",
        "advertorial",
        "partner content",
        "paid post",
        "promoted",
    ];
    let paid_category = categories.iter().any(|c| {
        let c = c.to_lowercase();
        PAID.iter().any(|w| c.contains(w))
    });
    if paid_category
        || PAID.iter().any(|w| t.contains(w))
        || opening.contains("this post is sponsored")
        || opening.contains("in partnership with")
        || opening.contains("paid partnership")
    {
        p *= 0.3;
    }
    const DEALS: &[&str] = &[
        "best deals",
        "deal of the day",
        "% off",
        "coupon",
        "promo code",
        "giveaway",
        "black friday deal",
        "lowest price",
    ];
    if DEALS.iter().any(|d| t.contains(d)) {
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

fn classify_group(main: &Candidate, group: &[&Candidate]) -> (Section, String) {
    // The main source's hint wins, then any member's; otherwise the members vote.
    if let Some(c) = std::iter::once(main)
        .chain(group.iter().copied())
        .find(|c| c.section_hint.is_some())
    {
        let h = c.section_hint.expect("found by its hint");
        return (h, format!("{} is a {} feed", c.source_name, h.as_str()));
    }
    let mut votes: HashMap<Section, (usize, String)> = HashMap::new();
    for c in group {
        let (section, why) = classify_explained(None, &c.categories, &c.title, &c.text);
        let v = votes.entry(section).or_insert((0, why));
        v.0 += 1;
    }
    votes
        .into_iter()
        .max_by_key(|(s, (n, _))| (*n, std::cmp::Reverse(*s)))
        .map(|(s, (_, why))| (s, why))
        .unwrap_or((Section::Other, "no text".into()))
}

/// Tech, business or other, from (in order of strength) the feed's hint, the
/// item's categories, and a weighted lexicon over the text.
pub fn classify(hint: Option<Section>, categories: &[String], title: &str, text: &str) -> Section {
    classify_explained(hint, categories, title, text).0
}

/// The section and, in words, what decided it.
pub fn classify_explained(
    hint: Option<Section>,
    categories: &[String],
    title: &str,
    text: &str,
) -> (Section, String) {
    if let Some(h) = hint {
        return (h, "feed hint".into());
    }
    for c in categories {
        if let Some(s) = category_section(&c.to_lowercase()) {
            return (s, format!("category \"{c}\""));
        }
    }
    let scores = topic_scores(&format!("{title}. {title}. {text}"));
    let section = section_of(&scores);
    let shown: Vec<String> = TOPICS
        .iter()
        .zip(scores)
        .map(|(t, s)| format!("{t} {s:.2}"))
        .collect();
    (section, format!("text: {}", shown.join(", ")))
}

fn category_section(c: &str) -> Option<Section> {
    const TECH: &[&str] = &[
        "tech",
        "technology",
        "science & tech",
        "gadgets",
        "software",
        "ai",
        "artificial intelligence",
        "security",
        "cybersecurity",
        "computing",
        "internet",
        "mobile",
        "startups",
    ];
    const BUSINESS: &[&str] = &[
        "business",
        "economy",
        "markets",
        "finance",
        "money",
        "companies",
        "industry",
        "trade",
        "banking",
        "earnings",
        "deals",
    ];
    const OTHER: &[&str] = &[
        "sport",
        "sports",
        "politics",
        "entertainment",
        "celebrity",
        "lifestyle",
        "travel",
        "food",
        "culture",
        "arts",
        "music",
        "film",
        "movies",
        "football",
        "opinion",
    ];
    if TECH.contains(&c) {
        Some(Section::Tech)
    } else if BUSINESS.contains(&c) {
        Some(Section::Business)
    } else if OTHER.contains(&c) {
        Some(Section::Other)
    } else {
        None
    }
}

/// Weighted lexicon classifier. Each class has terms (matched as word
/// prefixes) with weights; scores are normalised by text length. Politics,
/// sport and entertainment have lexicons too, so that "other" wins on merit.
pub fn classify_text(text: &str) -> Section {
    section_of(&topic_scores(text))
}

const TOPICS: [&str; 5] = ["tech", "business", "politics", "sport", "entertainment"];

/// Lexicon evidence per topic (in `TOPICS` order), per square root of the
/// text's length, with the other-topic discount applied.
pub fn topic_scores(text: &str) -> [f64; 5] {
    let words = lower_words(text);
    let mut scores = [0.0f64; 5];
    if words.is_empty() {
        return scores;
    }
    let index = lexicon_index();
    // Per topic, the first matching term in lexicon order gives the weight.
    let mut best: [Option<(usize, f64)>; 5] = [None; 5];
    let mut keys: Vec<&str> = Vec::with_capacity(6);
    for (i, w) in words.iter().enumerate() {
        let next = words.get(i + 1).map(String::as_str);
        keys.clear();
        keys.push(w);
        if let Some(singular) = w.strip_suffix('s') {
            keys.push(singular);
        }
        // A stem matches words at most three bytes longer than itself.
        keys.extend((w.len().saturating_sub(3)..w.len()).filter_map(|n| w.get(..n)));
        best.fill(None);
        for key in &keys {
            for t in index.get(key).into_iter().flatten() {
                let (term, weight) = LEXICONS[t.topic][t.position];
                let better = best[t.topic].is_none_or(|(pos, _)| t.position < pos);
                if better && term_matches(term, w, next) {
                    best[t.topic] = Some((t.position, weight));
                }
            }
        }
        for (topic, b) in best.iter().enumerate() {
            if let Some((_, weight)) = b {
                scores[topic] += weight;
            }
        }
    }
    let norm = (words.len() as f64).sqrt();
    // The digest's own sections get the benefit of the doubt: a story about
    // game consoles or film technology is tech unless sport or entertainment
    // clearly dominate it.
    for (class, s) in scores.iter_mut().enumerate() {
        *s = *s / norm * if class < 2 { 1.0 } else { OTHER_TOPIC_DISCOUNT };
    }
    scores
}

fn lower_words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Where a lexicon term sits: `LEXICONS[topic][position]`.
#[derive(Debug, Clone, Copy)]
struct TermRef {
    topic: usize,
    position: usize,
}

/// Terms by the word (or word prefix) that can match them: a two-word term
/// by its first word, `=` and short terms by themselves, stems by the stem.
/// Scanning every term for every word was most of the time a 2,000-item
/// publish spent classifying (`perf`, see docs/PROFILING.md); a lookup
/// finds the few candidates, which `term_matches` then confirms.
fn lexicon_index() -> &'static HashMap<&'static str, Vec<TermRef>> {
    static INDEX: std::sync::OnceLock<HashMap<&'static str, Vec<TermRef>>> =
        std::sync::OnceLock::new();
    INDEX.get_or_init(|| {
        let mut index: HashMap<&'static str, Vec<TermRef>> = HashMap::new();
        for (topic, lex) in LEXICONS.iter().enumerate() {
            for (position, (term, _)) in lex.iter().enumerate() {
                let key = match term.split_once(' ') {
                    Some((first, _)) => first,
                    None => term.strip_suffix('=').unwrap_or(term),
                };
                index
                    .entry(key)
                    .or_default()
                    .push(TermRef { topic, position });
            }
        }
        index
    })
}

fn section_of(scores: &[f64; 5]) -> Section {
    let (best, &top) = scores
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .expect("five topics");
    if top < 0.35 {
        return Section::Other;
    }
    match best {
        0 => Section::Tech,
        1 => Section::Business,
        _ => Section::Other,
    }
}

/// A term matches a word it begins, give or take an ending of up to three
/// letters ("econom" matches "economy" and "economics"); a two-word term
/// matches the word and the one after it.
fn term_matches(term: &str, word: &str, next: Option<&str>) -> bool {
    let stem_of = |t: &str, w: &str| match t.strip_suffix('=') {
        // Short terms and those marked `=` match only themselves and their
        // plural: "ai" must not match "aid", nor "euro" "europe".
        Some(exact) => w == exact || w.strip_suffix('s') == Some(exact),
        None if t.len() <= 3 => w == t || w.strip_suffix('s') == Some(t),
        None => w.starts_with(t) && w.len() - t.len() <= 3,
    };
    match term.split_once(' ') {
        None => stem_of(term, word),
        Some((first, second)) => first == word && next.is_some_and(|n| stem_of(second, n)),
    }
}

/// How much politics, sport and entertainment evidence counts against tech
/// and business evidence. Macro-F1 on the sections scorer stays at or above
/// 0.952 for any value from 0.85 to 0.925 (0.945 without the discount).
const OTHER_TOPIC_DISCOUNT: f64 = 0.9;

type Lexicon = &'static [(&'static str, f64)];

/// tech, business, politics, sport, entertainment
static LEXICONS: [Lexicon; 5] = [
    &[
        ("software", 2.0),
        ("computer", 2.0),
        ("comput", 1.5),
        ("internet", 1.5),
        ("online", 1.0),
        ("digital", 1.0),
        ("technolog", 1.5),
        ("tech", 1.5),
        ("mobile", 1.5),
        ("phone", 1.5),
        ("smartphone", 2.0),
        ("broadband", 2.0),
        ("web", 1.0),
        ("website", 1.5),
        ("app", 1.0),
        ("apps", 1.5),
        ("gadget", 2.0),
        ("device", 1.5),
        ("chip", 1.5),
        ("semiconductor", 2.0),
        ("processor", 2.0),
        ("microsoft", 2.0),
        ("apple", 1.5),
        ("google", 2.0),
        ("intel", 2.0),
        ("nvidia", 2.0),
        ("ai", 1.5),
        ("artificial", 1.0),
        ("algorithm", 2.0),
        ("robot", 2.0),
        ("virus", 1.5),
        ("hacker", 2.0),
        ("cyber", 2.0),
        ("spam", 2.0),
        ("security", 0.8),
        ("data", 0.8),
        ("network", 1.2),
        ("wireless", 2.0),
        ("wi", 0.5),
        ("download", 2.0),
        ("game", 0.8),
        ("gaming", 1.5),
        ("console", 2.0),
        ("playstation", 2.0),
        ("xbox", 2.0),
        ("nintendo", 2.0),
        ("sony", 1.0),
        ("user", 1.2),
        ("users", 1.5),
        ("email", 1.5),
        ("search", 1.0),
        ("browser", 2.0),
        ("linux", 2.0),
        ("windows", 1.2),
        ("developer", 1.5),
        ("code", 1.0),
        ("open source", 1.0),
        ("digital", 1.0),
        ("tv", 0.6),
        ("video", 0.6),
        ("music download", 1.0),
        ("ipod", 2.0),
        ("iphone", 2.0),
        ("laptop", 2.0),
        ("pc", 1.5),
        ("pcs", 1.5),
        ("cloud", 1.2),
        ("server", 1.5),
        ("silicon", 1.5),
        ("blog", 1.5),
        ("firewall", 2.0),
        ("malware", 2.0),
        ("phishing", 2.0),
        ("screen", 1.0),
        ("camera", 1.0),
        ("electronic", 1.5),
        ("gigabyte", 2.0),
        ("megabyte", 2.0),
        ("bandwidth", 2.0),
        ("satellite", 1.0),
        ("telecom", 1.0),
        ("biometric", 1.5),
        ("sensor", 1.0),
        ("innovation", 0.8),
        ("researcher", 0.8),
        ("scientist", 0.8),
        ("machine", 0.8),
        ("model", 0.4),
        ("xiaomi", 1.5),
        ("gamer", 2.0),
        ("videogame", 2.0),
        ("video game", 2.0),
        ("multiplayer", 2.0),
        ("handheld", 1.5),
        ("virtual", 1.0),
        ("interactive", 1.2),
        ("media player", 1.5),
        ("mp3", 2.0),
        ("hardware", 2.0),
        ("spyware", 2.0),
        ("adware", 2.0),
        ("encrypt", 2.0),
        ("password", 1.5),
        ("passkey", 2.0),
        ("bluetooth", 2.0),
        ("wifi", 2.0),
        ("3g", 1.5),
        ("4g", 1.5),
        ("5g", 1.5),
        ("tablet", 1.5),
        ("smartwatch", 2.0),
        ("wearable", 2.0),
        ("quantum", 1.0),
        ("data centre", 1.5),
        ("data center", 1.5),
        ("ransomware", 2.0),
        ("operating system", 2.0),
        ("app store", 2.0),
        ("rfid", 2.0),
        ("speech recognition", 2.0),
        ("voice recognition", 2.0),
        ("search engine", 2.0),
        ("social network", 1.5),
        ("social media", 1.2),
        ("online service", 1.0),
        ("hi tech", 1.5),
        ("high tech", 1.5),
        ("telecommunication", 1.2),
        ("microchip", 2.0),
        ("transistor", 2.0),
        ("e commerce", 1.0),
        ("cyberspace", 2.0),
        ("file sharing", 2.0),
        ("file sharing", 2.0),
        ("p2p", 2.0),
        ("dvd", 1.0),
        ("hd", 0.8),
        ("high definition", 1.5),
        ("camcorder", 2.0),
        ("digital camera", 2.0),
        ("internet explorer", 2.0),
        ("firefox", 2.0),
        ("mozilla", 2.0),
        ("chatbot", 2.0),
        ("machine learning", 2.0),
        ("neural", 1.5),
        ("llm", 2.0),
        ("language model", 2.0),
        ("startup", 1.0),
        ("start up", 1.0),
        ("techno", 0.8),
        ("engineer", 1.0),
        ("silicon valley", 1.5),
        ("virtual reality", 2.0),
        ("augmented reality", 2.0),
        ("program=", 0.8),
        ("programmer", 2.0),
        ("programming", 1.5),
    ],
    &[
        ("econom", 2.0),
        ("market", 1.2),
        ("shareholder", 2.0),
        ("stock", 1.5),
        ("profit", 2.0),
        ("revenue", 1.5),
        ("sales", 1.2),
        ("growth", 1.2),
        ("bank", 1.5),
        ("interest rate", 1.0),
        ("rate", 0.6),
        ("inflation", 2.0),
        ("investor", 2.0),
        ("invest", 1.2),
        ("firm", 1.2),
        ("company", 0.8),
        ("compan", 0.8),
        ("merger", 2.0),
        ("acquisition", 2.0),
        ("takeover", 2.0),
        ("bid", 1.0),
        ("price", 1.0),
        ("oil", 1.5),
        ("dollar", 1.5),
        ("currency", 2.0),
        ("trade", 1.0),
        ("trading", 1.0),
        ("export", 1.5),
        ("import", 1.2),
        ("tax", 0.8),
        ("debt", 1.5),
        ("loan", 1.5),
        ("earnings", 2.0),
        ("quarter", 1.2),
        ("fiscal", 1.5),
        ("financ", 1.5),
        ("billion", 1.0),
        ("million", 0.5),
        ("analyst", 1.2),
        ("chief executive", 1.0),
        ("executive", 0.8),
        ("ceo", 1.0),
        ("business", 1.2),
        ("industry", 0.8),
        ("retail", 1.5),
        ("consumer", 1.0),
        ("demand", 1.0),
        ("output", 1.0),
        ("manufactur", 1.0),
        ("factory", 1.0),
        ("jobs", 0.8),
        ("unemployment", 1.5),
        ("gdp", 2.0),
        ("fed", 1.0),
        ("central bank", 1.0),
        ("bond", 1.0),
        ("airline", 1.2),
        ("insurer", 1.5),
        ("pension", 1.0),
        ("budget", 0.6),
        ("cost", 0.6),
        ("sector", 1.0),
        ("ipo", 2.0),
        ("valuation", 1.5),
        ("funding", 1.0),
        ("venture", 1.0),
        ("layoff", 1.5),
        ("shipments", 1.0),
        ("wto", 2.0),
        ("opec", 2.0),
        ("crude", 2.0),
        ("barrel", 1.5),
        ("euros", 1.0),
        ("pound", 0.6),
        ("jobless", 2.0),
        ("unemployed", 1.5),
        ("employer", 1.0),
        ("wage", 1.2),
        ("salary", 1.0),
        ("payroll", 1.5),
        ("recession", 2.0),
        ("deficit", 1.5),
        ("surplus", 1.2),
        ("tariff", 2.0),
        ("commodit", 1.5),
        ("dividend", 2.0),
        ("stake", 1.2),
        ("subsidiar", 1.5),
        ("bankrupt", 2.0),
        ("insolven", 2.0),
        ("creditor", 2.0),
        ("lender", 1.5),
        ("mortgage", 1.5),
        ("supermarket", 1.5),
        ("turnover", 1.2),
        ("forecast", 1.0),
        ("chairman", 1.0),
        ("boardroom", 1.5),
        ("corporat", 1.5),
        ("conglomerate", 2.0),
        ("privatis", 1.5),
        ("privatiz", 1.5),
        ("antitrust", 2.0),
        ("brand", 1.0),
        ("sharehold", 2.0),
        ("stock market", 1.5),
        ("stock exchange", 1.5),
        ("wall street", 2.0),
        ("nasdaq", 2.0),
        ("dow jones", 2.0),
        ("ftse", 2.0),
        ("nikkei", 2.0),
        ("exchange rate", 1.5),
        ("trade deficit", 1.5),
        ("economist", 2.0),
        ("consumer spending", 1.5),
        ("retail sales", 1.5),
        ("interest rates", 1.5),
        ("rates", 0.6),
        ("auto", 1.0),
        ("carmaker", 2.0),
        ("car maker", 2.0),
        ("steel", 1.2),
        ("airlines", 1.2),
        ("pharmaceutical", 1.0),
        ("telecoms", 0.8),
        ("profitab", 2.0),
        ("loss", 0.8),
        ("losses", 1.2),
        ("fund", 1.0),
        ("hedge fund", 2.0),
        ("private equity", 2.0),
        ("asset", 1.5),
        ("accountant", 1.5),
        ("accounting", 1.5),
        ("audit", 1.2),
        ("fraud", 0.8),
        ("investment", 1.5),
        ("bought", 0.8),
        ("buyout", 2.0),
        ("customers", 0.8),
        ("workforce", 1.5),
        ("job cuts", 2.0),
        ("strike", 0.6),
        ("union", 0.6),
        ("imf", 2.0),
        ("world bank", 2.0),
        ("g7", 1.5),
        ("g8", 1.2),
        ("treasury", 1.0),
        ("chancellor", 0.6),
        ("spending", 0.8),
        ("sterling", 1.5),
        ("yen", 1.5),
        ("yuan", 1.5),
        ("dollars", 1.0),
        ("euro=", 1.0),
        ("deal", 0.8),
        ("share", 0.8),
    ],
    &[
        ("government", 1.2),
        ("election", 2.0),
        ("elect", 1.0),
        ("party", 1.2),
        ("labour", 1.5),
        ("tory", 2.0),
        ("tories", 2.0),
        ("conservative", 1.5),
        ("liberal", 1.5),
        ("mp", 1.5),
        ("mps", 2.0),
        ("parliament", 2.0),
        ("vote", 1.5),
        ("voter", 2.0),
        ("campaign", 1.0),
        ("policy", 1.0),
        ("secretary", 1.0),
        ("lord", 1.2),
        ("commons", 2.0),
        ("bill", 0.8),
        ("law", 0.8),
        ("council", 1.0),
        ("president", 0.8),
        ("senate", 1.5),
        ("congress", 1.5),
        ("democrat", 1.5),
        ("republican", 1.5),
        ("immigration", 1.5),
        ("asylum", 2.0),
        ("tribunal", 1.0),
        ("political", 1.5),
        ("politic", 1.5),
        ("prime", 0.8),
        ("home office", 1.0),
        ("police", 0.8),
        ("court", 0.6),
        ("prime minister", 1.5),
        ("chancellor", 0.8),
        ("cabinet", 1.5),
        ("opposition", 1.5),
        ("referendum", 2.0),
        ("constituency", 2.0),
        ("legislation", 1.5),
        ("lawmaker", 2.0),
        ("senator", 2.0),
        ("governor", 1.0),
        ("ministry", 1.2),
        ("manifesto", 2.0),
        ("minister", 1.5),
        ("mayor", 1.5),
        ("downing street", 2.0),
        ("white house", 1.5),
        ("whitehall", 2.0),
        ("peer", 1.0),
        ("lords", 1.5),
        ("civil servant", 1.5),
        ("ballot", 2.0),
        ("poll", 1.0),
        ("polling", 1.5),
        ("candidate", 1.5),
        ("leadership", 1.0),
        ("backbench", 2.0),
        ("shadow", 1.0),
        ("spokesman", 0.6),
        ("spokeswoman", 0.6),
        ("diplomat", 1.5),
        ("embassy", 1.5),
        ("treaty", 1.5),
        ("sanction", 1.0),
        ("troops", 1.5),
        ("military", 1.2),
        ("terror", 1.5),
        ("citizen", 1.0),
        ("protest", 1.0),
        ("union", 0.4),
        ("european union", 1.2),
        ("eu", 1.0),
        ("un", 0.8),
        ("nato", 2.0),
        ("democra", 1.5),
        ("constitution", 1.5),
        ("judge", 0.8),
        ("inquiry", 1.0),
        ("scandal", 1.0),
        ("reform", 1.0),
        ("public services", 1.5),
        ("nhs", 1.5),
        ("councillor", 2.0),
        ("whip", 1.5),
        ("leader", 0.5),
    ],
    &[
        ("match", 1.5),
        ("game", 0.6),
        ("team", 1.0),
        ("season", 1.2),
        ("championship", 2.0),
        ("champion", 1.5),
        ("cup", 1.5),
        ("league", 2.0),
        ("football", 2.0),
        ("rugby", 2.0),
        ("cricket", 2.0),
        ("tennis", 2.0),
        ("golf", 2.0),
        ("olympic", 2.0),
        ("athlet", 2.0),
        ("goal", 1.5),
        ("striker", 2.0),
        ("midfield", 2.0),
        ("injury", 1.5),
        ("injured", 1.5),
        ("win", 0.8),
        ("victory", 1.2),
        ("defeat", 1.5),
        ("squad", 2.0),
        ("club", 1.2),
        ("manager", 0.8),
        ("chelsea", 2.0),
        ("arsenal", 2.0),
        ("liverpool", 1.5),
        ("final", 0.8),
        ("race", 1.0),
        ("marathon", 2.0),
        ("sprint", 1.5),
        ("six nations", 1.0),
        ("wales", 0.8),
        ("england", 0.8),
        ("ireland", 0.6),
        ("scotland", 0.6),
        ("fans", 1.0),
        ("stadium", 2.0),
        ("seed", 1.0),
        ("scored", 2.0),
        ("score", 0.8),
        ("sport", 1.5),
        ("athletics", 2.0),
        ("olympics", 2.0),
        ("medal", 2.0),
        ("boxing", 2.0),
        ("boxer", 2.0),
        ("formula one", 2.0),
        ("grand prix", 2.0),
        ("cycling", 1.5),
        ("swimming", 1.5),
        ("premiership", 2.0),
        ("premier league", 2.0),
        ("fa cup", 2.0),
        ("world cup", 2.0),
        ("uefa", 2.0),
        ("fifa", 2.0),
        ("referee", 2.0),
        ("penalty", 1.0),
        ("tournament", 1.2),
        ("semi final", 2.0),
        ("quarter final", 2.0),
        ("coach", 2.0),
        ("captain", 1.2),
        ("wicket", 2.0),
        ("batsman", 2.0),
        ("bowler", 1.5),
        ("innings", 2.0),
        ("test match", 2.0),
        ("scrum", 2.0),
        ("fly half", 2.0),
        ("winger", 2.0),
        ("wimbledon", 2.0),
        ("grand slam", 2.0),
        ("seeded", 2.0),
        ("transfer", 1.0),
        ("fixture", 2.0),
        ("kick off", 2.0),
        ("half time", 2.0),
        ("goalkeeper", 2.0),
        ("defender", 1.5),
        ("debut", 1.0),
        ("player", 1.0),
    ],
    &[
        ("film", 2.0),
        ("movie", 2.0),
        ("actor", 2.0),
        ("actress", 2.0),
        ("award", 1.5),
        ("oscar", 2.0),
        ("music", 1.5),
        ("band", 2.0),
        ("album", 2.0),
        ("singer", 2.0),
        ("song", 2.0),
        ("festival", 1.5),
        ("tv", 0.6),
        ("television", 1.0),
        ("comedy", 2.0),
        ("drama", 2.0),
        ("director", 1.0),
        ("theatre", 2.0),
        ("stage", 1.0),
        ("book", 1.0),
        ("novel", 1.5),
        ("celebrity", 2.0),
        ("bafta", 2.0),
        ("grammy", 2.0),
        ("musical", 2.0),
        ("rock", 1.2),
        ("pop", 1.2),
        ("concert", 2.0),
        ("tour", 1.0),
        ("fan", 0.6),
        ("series", 0.8),
        ("episode", 1.5),
        ("soap", 2.0),
        ("prize", 1.0),
        ("nominat", 1.5),
        ("role", 1.0),
        ("cinema", 2.0),
        ("box office", 2.0),
        ("hollywood", 2.0),
        ("screenplay", 2.0),
        ("premiere", 2.0),
        ("documentary", 1.5),
        ("sitcom", 2.0),
        ("soap opera", 2.0),
        ("pop star", 2.0),
        ("rock band", 2.0),
        ("record label", 2.0),
        ("chart", 1.5),
        ("charts", 1.5),
        ("gig", 1.5),
        ("musician", 2.0),
        ("artist", 1.0),
        ("art", 0.6),
        ("gallery", 1.5),
        ("exhibition", 1.2),
        ("novelist", 2.0),
        ("bestseller", 2.0),
        ("best selling", 1.5),
        ("author", 0.8),
        ("west end", 2.0),
        ("broadway", 2.0),
        ("tv show", 2.0),
        ("reality tv", 2.0),
        ("presenter", 1.5),
        ("broadcaster", 1.0),
        ("channel", 0.8),
        ("bbc one", 1.5),
        ("itv", 1.5),
        ("nominee", 2.0),
        ("nominated", 1.5),
        ("golden globe", 2.0),
        ("emmy", 2.0),
        ("brit awards", 2.0),
        ("ceremony", 1.5),
        ("red carpet", 2.0),
        ("sequel", 2.0),
        ("studio", 1.0),
        ("dvd", 0.6),
        ("comedian", 2.0),
        ("starring", 2.0),
        ("starred", 2.0),
        ("cast", 1.2),
        ("fans", 0.6),
        ("celebrit", 2.0),
        ("rapper", 2.0),
        ("hip hop", 2.0),
        ("dj", 1.5),
        ("orchestra", 2.0),
        ("opera", 2.0),
        ("ballet", 2.0),
        ("star", 0.8),
    ],
];

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn cand(id: i64, feed: i64, title: &str, hours_old: i64, link: &str) -> Candidate {
        let now = Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap();
        Candidate {
            item_id: id,
            feed_id: feed,
            source_name: format!("Feed {feed}"),
            source_weight: 1.0,
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
        let topics = [
            "laptops",
            "routers",
            "browsers",
            "satellites",
            "compilers",
            "databases",
            "drones",
            "sensors",
            "batteries",
            "keyboards",
        ];
        let items: Vec<Candidate> = (0..10)
            .map(|i| {
                cand(
                    i,
                    i % 2,
                    &format!("Vendor ships new {} to customers", topics[i as usize]),
                    i,
                    &format!("https://x/{i}"),
                )
            })
            .collect();
        let s = PickSettings {
            per_section: 3,
            max_per_source: 2,
            window_days: 7,
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
            "Local library extends its opening hours",
            2,
            "https://example.com/lib",
        );
        c.section_hint = None;
        c.text = "The library will open on Sundays from next month.".into();
        let steering = Steering {
            pinned: HashSet::from(["https://example.com/lib".to_string()]),
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
    fn runners_up_say_why_they_were_left_out() {
        let items = vec![
            tech(1, 1, "Chip maker unveils a faster processor", 2),
            tech(2, 1, "Chip maker opens a new design centre", 3),
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
        let product =
            parts.weight * (0.3 + parts.recency) * parts.coverage * parts.quality * parts.penalty;
        assert!(
            (product - s.picks[0].score).abs() < 1e-9,
            "the parts explain the score"
        );
    }

    const DEAL_TEXT: &str = "Harbor Bank agreed on Tuesday to buy regional lender Northgate Financial for $8.4 billion in cash and shares, creating the fifth-largest bank on the East Coast by deposits. Northgate shareholders will receive $42 a share, a 28% premium to the closing price on Monday. The deal needs approval from regulators and is expected to close in the second half of next year, the two banks said in a joint statement.";

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
            [DEAL_TEXT],
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
        assert_eq!(picks[0].also.len(), 1);
        assert_eq!(picks[0].parts.sources, 2);
    }

    #[test]
    fn clickbait_paid_posts_deals_and_press_releases_rank_lower() {
        let plain = penalty("Harbor Bank agrees to buy Northgate", DEAL_TEXT, &[]);
        assert_eq!(plain, 1.0);
        assert!(penalty("You won't believe what this bank did", DEAL_TEXT, &[]) < 0.5);
        assert!(penalty("Harbor Bank's new card", DEAL_TEXT, &["Sponsored".into()]) < 0.5);
        assert!(penalty("Laptop deal of the day: 40% off", DEAL_TEXT, &[]) < 0.5);
        let release = format!("NEW YORK, Nov. 20, 2026 /PRNewswire/ -- {DEAL_TEXT}");
        assert!(penalty("Harbor Bank announces agreement", &release, &[]) < 1.0);
        // And it shows in the ranking: the paid post loses to a plain story.
        let mut paid = tech(1, 1, "Sponsored: the future of laptop chips", 1);
        paid.text = DEAL_TEXT.into();
        let mut news = tech(2, 2, "Chip maker unveils a faster processor", 30);
        news.text = "Kestrel Semiconductor unveiled its K9 processor for thin laptops on Tuesday, claiming it doubles battery life compared with last year's chip while running office software faster. Laptop makers will ship the first machines with it in February.".into();
        news.canonical_link = Some("https://example.com/other".into());
        let picks = picks_of(
            vec![paid, news],
            &PickSettings::default(),
            now(),
            &HashSet::new(),
        );
        assert_eq!(picks[0].candidate.item_id, 2);
    }

    #[test]
    fn short_terms_match_only_themselves() {
        assert!(term_matches("ai", "ai", None));
        assert!(!term_matches("ai", "aid", None));
        assert!(term_matches("econom", "economic", None));
        assert!(!term_matches("euro=", "europe", None));
        assert!(term_matches("euro=", "euros", None));
        assert!(term_matches("interest rate", "interest", Some("rates")));
        assert!(!term_matches("interest rate", "interest", Some("in")));
    }

    #[test]
    fn text_classifier_tells_tech_business_and_other_apart() {
        assert_eq!(
            classify_text(
                "Microsoft released a software update for Windows users to block a virus spreading by email."
            ),
            Section::Tech
        );
        assert_eq!(
            classify_text(
                "Shares in the bank fell after profits dropped and investors worried about inflation and interest rates."
            ),
            Section::Business
        );
        assert_eq!(
            classify_text(
                "The striker scored twice as the club won the league match in front of fans at the stadium."
            ),
            Section::Other
        );
        assert_eq!(
            classify(None, &["Business".into()], "x", ""),
            Section::Business
        );
        assert_eq!(
            classify(Some(Section::Tech), &["Business".into()], "x", ""),
            Section::Tech
        );
    }

    /// Every term tried against every word, as the lexicon defines it.
    fn topic_scores_by_scanning(text: &str) -> [f64; 5] {
        let words = lower_words(text);
        let mut scores = [0.0f64; 5];
        if words.is_empty() {
            return scores;
        }
        for (i, w) in words.iter().enumerate() {
            let next = words.get(i + 1).map(String::as_str);
            for (class, lex) in LEXICONS.iter().enumerate() {
                if let Some((_, weight)) = lex.iter().find(|(term, _)| term_matches(term, w, next))
                {
                    scores[class] += weight;
                }
            }
        }
        let norm = (words.len() as f64).sqrt();
        for (class, s) in scores.iter_mut().enumerate() {
            *s = *s / norm * if class < 2 { 1.0 } else { OTHER_TOPIC_DISCOUNT };
        }
        scores
    }

    #[test]
    fn the_term_index_scores_exactly_as_scanning_every_term() {
        // Each term as written, plural, with endings of one to four letters,
        // cut short, and two-word terms with and without their second word.
        let mut texts = vec![String::new(), "Ünïcode wörds ÄI s".to_string()];
        for lex in &LEXICONS {
            for (term, _) in lex.iter() {
                let t = term.trim_end_matches('=');
                let variants = [
                    t.to_string(),
                    format!("{t}s"),
                    format!("{t}e"),
                    format!("{t}ing"),
                    format!("{t}ings"),
                    t[..t.len().saturating_sub(1)].to_string(),
                    format!("{t} and {t}"),
                    t.split(' ').next().unwrap_or(t).to_string(),
                ];
                texts.push(variants.join(" "));
            }
        }
        texts.push(texts.join(". "));
        for text in &texts {
            assert_eq!(topic_scores(text), topic_scores_by_scanning(text), "{text}");
        }
    }
}
