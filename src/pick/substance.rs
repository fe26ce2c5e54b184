//! How much of what news is made of a report carries: figures, names and
//! the words of results, deals, launches and rulings (`news_terms.txt`),
//! in its title and opening. Length does not count: a 40-word item that
//! says who did what, for how much, is news; a long essay without a fact
//! is not. Pure: text in, count out.

use super::classify::term_matches;
use std::sync::OnceLock;

/// The opening searched, in words: where a report states its news.
const OPENING_WORDS: usize = 80;
/// Each kind of signal counts up to this many times.
const MOST_PER_KIND: usize = 3;
/// Signals at which a report has full marks.
pub const FULL_MARKS: usize = 5;

/// The signals found in a report: figures, names and news words, each
/// counted up to `MOST_PER_KIND`.
pub fn signals(title: &str, text: &str) -> usize {
    let opening: Vec<&str> = text.split_whitespace().take(OPENING_WORDS).collect();
    let title_words: Vec<&str> = title.split_whitespace().collect();
    let figures = title_words
        .iter()
        .chain(&opening)
        .filter(|w| is_figure(w))
        .count();
    // Headlines are often in title case, where a capital says nothing; in
    // running text, a capital inside a sentence is a name.
    let names = names_in(&opening)
        + if title_case(&title_words) {
            0
        } else {
            names_in(&title_words)
        };
    let lower: Vec<String> = title_words
        .iter()
        .chain(&opening)
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect();
    let terms = lower
        .iter()
        .enumerate()
        .filter(|(i, w)| {
            let next = lower.get(i + 1).map(String::as_str);
            news_terms().iter().any(|t| term_matches(t, w, next))
        })
        .count();
    figures.min(MOST_PER_KIND) + names.min(MOST_PER_KIND) + terms.min(MOST_PER_KIND)
}

/// 0.5 to 1.0 by `signals`, full marks at `FULL_MARKS`.
pub fn substance(signals: usize) -> f64 {
    0.5 + 0.5 * (signals as f64 / FULL_MARKS as f64).min(1.0)
}

/// A word with a digit that is not a bare year, or an amount: "$4bn",
/// "16,000", "38%", "H200".
fn is_figure(word: &str) -> bool {
    let w = word.trim_matches(|c: char| !c.is_alphanumeric() && c != '$' && c != '%');
    let digits = w.chars().filter(char::is_ascii_digit).count();
    if digits == 0 {
        return w.starts_with(['$', '€', '£']) && w.len() > 1;
    }
    let bare_year = digits == 4 && w.len() == 4 && (w.starts_with("19") || w.starts_with("20"));
    !bare_year
}

fn title_case(words: &[&str]) -> bool {
    let letters: Vec<&&str> = words
        .iter()
        .filter(|w| w.chars().next().is_some_and(char::is_alphabetic) && w.chars().count() > 3)
        .collect();
    !letters.is_empty()
        && letters
            .iter()
            .filter(|w| w.chars().next().is_some_and(char::is_uppercase))
            .count()
            * 10
            >= letters.len() * 7
}

/// Capitalised words that do not open a sentence.
fn names_in(words: &[&str]) -> usize {
    let mut names = 0;
    let mut sentence_start = true;
    for w in words {
        let first = w.chars().find(|c| c.is_alphanumeric());
        if !sentence_start && first.is_some_and(char::is_uppercase) {
            names += 1;
        }
        sentence_start =
            w.ends_with(['.', '!', '?', ':']) || w.ends_with(".\"") || w.ends_with(".”");
    }
    names
}

fn news_terms() -> &'static [&'static str] {
    static TERMS: OnceLock<Vec<&'static str>> = OnceLock::new();
    TERMS.get_or_init(|| {
        include_str!("news_terms.txt")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_report_with_the_facts_outscores_a_long_essay_without() {
        let news = signals(
            "Microsoft's cloud revenue jumps 39% as AI spending hits $37.5bn",
            "Microsoft said on Wednesday that Azure revenue rose 39% in the quarter, and \
             Satya Nadella told analysts capital spending would keep rising.",
        );
        let essay_text = "I have been thinking about how we work. ".repeat(40);
        let essay = signals("Some thoughts on how we work", &essay_text);
        assert!(news >= FULL_MARKS, "{news}");
        assert!(essay <= 1, "{essay}");
        assert!(substance(news) > substance(essay));
        assert_eq!(substance(0), 0.5);
        assert_eq!(substance(FULL_MARKS + 4), 1.0);
    }

    #[test]
    fn figures_names_and_terms_are_told_apart() {
        assert!(is_figure("$4bn") && is_figure("16,000") && is_figure("38%") && is_figure("H200"));
        assert!(!is_figure("2026") && !is_figure("word") && !is_figure("$"));
        assert_eq!(
            names_in(&[
                "The",
                "firm",
                "hired",
                "Ada",
                "Lovelace.",
                "Then",
                "it",
                "grew."
            ]),
            2
        );
        assert!(title_case(&[
            "Tesla’s",
            "Model",
            "S",
            "Changed",
            "the",
            "Auto",
            "Industry"
        ]));
        assert!(!title_case(&[
            "Tesla", "posts", "first", "annual", "revenue", "fall"
        ]));
        assert!(term_matches("launch", "launches", None));
        assert!(!term_matches("cut", "cute", None));
        assert!(term_matches("chief executive", "chief", Some("executives")));
        assert!(news_terms().len() > 50);
    }
}
