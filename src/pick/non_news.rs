//! Items that are not news however well they score: job ads, deals,
//! sponsored posts, podcasts, link round-ups, personal posts, live blogs,
//! obituaries, puzzles, cartoons and research papers (a paper's abstract is
//! the research, not news of it: a report on it can lead, the paper cannot). The phrases that give each away are
//! data (`non_news.tsv`), read once. Pure: an item's fields in, a reason out.

use std::sync::OnceLock;

/// Why an item is not news: its kind and what gave it away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotNews {
    pub kind: &'static str,
    pub why: String,
}

impl NotNews {
    /// A podcast or live blog is an outlet's reporting in another form: it
    /// cannot lead the edition, but the outlet did cover the story.
    pub fn is_reporting(&self) -> bool {
        matches!(self.kind, "podcast" | "live blog")
    }
}

impl std::fmt::Display for NotNews {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.kind, self.why)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Title,
    Start,
    Category,
    Address,
    Opening,
}

#[derive(Debug)]
struct Rule {
    kind: &'static str,
    place: Place,
    phrase: &'static str,
}

/// The first 300 characters of the text are where a sponsor or an episode
/// announces itself.
const OPENING_CHARS: usize = 300;

/// Whether an item is one of the kinds that are not news, and why.
pub fn not_news(
    title: &str,
    text: &str,
    categories: &[String],
    link: Option<&str>,
) -> Option<NotNews> {
    let title = title.trim().to_lowercase();
    let opening: String = text
        .chars()
        .take(OPENING_CHARS)
        .collect::<String>()
        .to_lowercase();
    let categories: Vec<String> = categories.iter().map(|c| c.trim().to_lowercase()).collect();
    let segments = link
        .map(super::classify::section_segments)
        .unwrap_or_default();
    rules().iter().find_map(|r| {
        let why = match r.place {
            Place::Title if has_phrase(&title, r.phrase) => {
                format!("the title says \"{}\"", r.phrase)
            }
            Place::Start if starts_with_phrase(&title, r.phrase) => {
                format!("the title opens with \"{}\"", r.phrase)
            }
            Place::Category if categories.iter().any(|c| c == r.phrase) => {
                format!("category \"{}\"", r.phrase)
            }
            Place::Address if segments.iter().any(|s| s == r.phrase) => {
                format!("its address is under /{}/", r.phrase)
            }
            Place::Opening if has_phrase(&opening, r.phrase) => {
                format!("the text opens with \"{}\"", r.phrase)
            }
            _ => return None,
        };
        Some(NotNews { kind: r.kind, why })
    })
}

/// `phrase` in `text`, not inside a longer word: "quiz:" is in "news quiz:
/// who said it", "live" is not in "delivery".
fn has_phrase(text: &str, phrase: &str) -> bool {
    let word = |c: char| c.is_alphanumeric();
    let mut from = 0;
    while let Some(at) = text[from..].find(phrase) {
        let start = from + at;
        let end = start + phrase.len();
        let before_ok = !phrase.starts_with(word) || !text[..start].ends_with(word);
        let after_ok = !phrase.ends_with(word) || !text[end..].starts_with(word);
        if before_ok && after_ok {
            return true;
        }
        from = start + phrase.chars().next().map_or(1, char::len_utf8);
    }
    false
}

fn starts_with_phrase(title: &str, phrase: &str) -> bool {
    title.starts_with(phrase)
        && (!phrase.ends_with(char::is_alphanumeric)
            || !title[phrase.len()..].starts_with(char::is_alphanumeric))
}

fn rules() -> &'static [Rule] {
    static RULES: OnceLock<Vec<Rule>> = OnceLock::new();
    RULES.get_or_init(|| {
        parse_rules(include_str!("non_news.tsv"))
            .unwrap_or_else(|e| panic!("src/pick/non_news.tsv: {e}"))
    })
}

fn parse_rules(text: &'static str) -> Result<Vec<Rule>, String> {
    let mut rules = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&'static str> = line.split('\t').collect();
        let [kind, place, phrase] = fields[..] else {
            return Err(format!("line {}: want kind, where and phrase", n + 1));
        };
        let place = match place {
            "title" => Place::Title,
            "start" => Place::Start,
            "category" => Place::Category,
            "address" => Place::Address,
            "opening" => Place::Opening,
            other => return Err(format!("line {}: no place \"{other}\"", n + 1)),
        };
        if phrase.is_empty() || phrase != phrase.to_lowercase() {
            return Err(format!("line {}: the phrase must be lower case", n + 1));
        }
        rules.push(Rule {
            kind,
            place,
            phrase,
        });
    }
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(
        title: &str,
        text: &str,
        categories: &[&str],
        link: Option<&str>,
    ) -> Option<&'static str> {
        let categories: Vec<String> = categories.iter().map(|c| c.to_string()).collect();
        not_news(title, text, &categories, link).map(|n| n.kind)
    }

    #[test]
    fn each_kind_is_recognised_and_says_why() {
        assert_eq!(
            kind("Ask HN: How do you keep notes?", "", &[], None),
            Some("personal post")
        );
        assert_eq!(
            kind("Show HN: A tiny text editor", "", &[], None),
            Some("personal post")
        );
        assert_eq!(
            kind("Best deals of the week: 50% off headphones", "", &[], None),
            Some("deal")
        );
        assert_eq!(
            kind("Budget day: live updates", "", &[], None),
            Some("live blog")
        );
        assert_eq!(
            kind(
                "Markets today",
                "",
                &[],
                Some("https://news.example.com/news/live/markets-today")
            ),
            Some("live blog")
        );
        assert_eq!(
            kind("Famed chip designer dies at 91", "", &[], None),
            Some("obituary")
        );
        assert_eq!(
            kind("News quiz: who said it?", "", &[], None),
            Some("puzzle")
        );
        assert_eq!(
            kind("Episode 212: the chip wars", "", &[], None),
            Some("podcast")
        );
        assert_eq!(
            kind(
                "Acme's new card",
                "This post is sponsored by Acme.",
                &[],
                None
            ),
            Some("sponsored")
        );
        assert_eq!(
            kind("Senior engineer, platform", "", &["Jobs"], None),
            Some("job ad")
        );
        assert_eq!(
            kind(
                "Senior engineer",
                "Responsibilities: build things.",
                &[],
                None
            ),
            Some("job ad")
        );
        assert_eq!(
            kind("This week in AI: agents everywhere", "", &[], None),
            Some("link round-up")
        );
        assert_eq!(
            kind(
                "Sparse adapters for long-context retrieval",
                "arXiv:2601.01234v1 Announce Type: new Abstract: We propose a method...",
                &[],
                Some("https://arxiv.example.org/abs/2601.01234")
            ),
            Some("research paper")
        );
        let n = not_news("Ask HN: anyone?", "", &[], None).unwrap();
        assert_eq!(
            n.to_string(),
            "personal post (the title opens with \"ask hn\")"
        );
    }

    #[test]
    fn news_that_shares_a_word_with_them_is_news() {
        for title in [
            "State-sponsored hackers breach a chip maker",
            "Hiring freeze spreads across big tech",
            "Police quiz suspect over data theft",
            "Oil falls to lowest price in four years",
            "The puzzle of China's slowing economy",
            "Delivery firm cuts 30,000 jobs",
            "Chief executive promoted to chair",
            "Tesla's new model goes on sale in India",
            "Livestream platform raises $40m",
        ] {
            assert_eq!(
                kind(title, "The company said on Tuesday.", &[], None),
                None,
                "{title}"
            );
        }
        // "Deals" is where newsrooms file mergers.
        assert_eq!(
            kind(
                "Harbor Bank agrees to buy Northgate",
                "",
                &["Deals"],
                Some("https://news.example.com/business/deals/harbor-bank-northgate")
            ),
            None
        );
        // An address segment counts only as a section, not as the article's slug.
        assert_eq!(
            kind(
                "Results",
                "",
                &[],
                Some("https://news.example.com/business/live")
            ),
            None
        );
    }

    #[test]
    fn the_shipped_rules_parse_and_bad_ones_are_refused() {
        assert!(rules().len() > 50);
        assert!(parse_rules("deal\ttitle\tBest Deals").is_err());
        assert!(parse_rules("deal\teverywhere\tbest deals").is_err());
        assert!(parse_rules("deal\tbest deals").is_err());
        assert!(parse_rules("# a comment\n\ndeal\ttitle\tbest deals\n").is_ok());
    }
}
