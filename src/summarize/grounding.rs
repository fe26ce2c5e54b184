//! Whether a sentence someone else wrote (an LLM) is faithful to the article:
//! most of its content words must occur in the article, and every number in
//! it must. A summary of another story, or one that invents a figure, fails.

use super::words::content_words;
use std::collections::HashSet;

/// The article, indexed for checking sentences against it.
#[derive(Debug)]
pub struct Source {
    words: HashSet<String>,
    numbers: HashSet<String>,
}

impl Source {
    pub fn new(article: &str) -> Self {
        Self {
            words: content_words(article).collect(),
            numbers: numbers(article).collect(),
        }
    }

    /// `Err` says, in words, why `sentence` is not grounded in the article.
    /// `min_share` is the part of its content words that must occur there.
    pub fn check(&self, sentence: &str, min_share: f64) -> Result<(), String> {
        if let Some(n) = numbers(sentence).find(|n| !self.numbers.contains(n)) {
            return Err(format!("the figure {n} is not in the article"));
        }
        let words: Vec<String> = content_words(sentence).collect();
        if words.is_empty() {
            return Err("a sentence has no content words".into());
        }
        let found = words.iter().filter(|w| self.words.contains(*w)).count();
        let share = found as f64 / words.len() as f64;
        if share < min_share {
            return Err(format!(
                "only {found} of {} content words occur in the article",
                words.len()
            ));
        }
        Ok(())
    }
}

/// Numbers as written, without thousands separators: "1,200" and "1200"
/// are the same figure, "23.16" keeps its decimals.
fn numbers(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !(c.is_ascii_digit() || c == ',' || c == '.'))
        .map(|t| t.trim_matches(|c: char| c == ',' || c == '.'))
        .filter(|t| t.chars().any(|c| c.is_ascii_digit()))
        .map(|t| t.replace(',', ""))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARTICLE: &str = "Harbor Bank said on Tuesday that quarterly profit rose 12% to $1,250 million, \
        beating forecasts, as lending to small firms grew. The bank raised its dividend.";

    #[test]
    fn a_faithful_paraphrase_passes() {
        let s = Source::new(ARTICLE);
        assert_eq!(
            s.check(
                "Harbor Bank's quarterly profit rose 12% to $1250 million.",
                0.6
            ),
            Ok(())
        );
        assert_eq!(s.check("The bank raised its dividend.", 0.6), Ok(()));
    }

    #[test]
    fn an_invented_figure_fails() {
        let e = Source::new(ARTICLE)
            .check("Harbor Bank's profit rose 15%.", 0.6)
            .unwrap_err();
        assert!(e.contains("15"), "{e}");
    }

    #[test]
    fn another_story_fails() {
        let e = Source::new(ARTICLE)
            .check("Volcanic ash grounded flights across northern Europe.", 0.6)
            .unwrap_err();
        assert!(e.contains("content words"), "{e}");
    }
}
