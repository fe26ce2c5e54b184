//! From feed content or a fetched page to clean article text: main-content
//! extraction (`page`), markup to text (`text`), clutter removal (`clean`).

pub mod clean;
pub mod page;
pub mod prestrip;
pub mod shape;
pub mod text;

/// Where an article's text came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextSource {
    Feed,
    Page,
    /// Only the feed's excerpt was available.
    Excerpt,
}

impl TextSource {
    pub fn as_str(&self) -> &'static str {
        match self {
            TextSource::Feed => "feed",
            TextSource::Page => "page",
            TextSource::Excerpt => "excerpt",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "feed" => TextSource::Feed,
            "page" => TextSource::Page,
            _ => TextSource::Excerpt,
        }
    }
}

/// The best text the feed itself offers for an item: full content if there
/// is any, else the summary. Cleaned, ready to judge its length.
pub fn text_from_feed(content: Option<&str>, summary: Option<&str>) -> String {
    let pick = |s: Option<&str>| {
        s.map(text::html_to_text)
            .map(|t| clean::strip_boilerplate(&t))
    };
    let content = pick(content).unwrap_or_default();
    let summary = pick(summary).unwrap_or_default();
    if word_count(&content) >= word_count(&summary) {
        content
    } else {
        summary
    }
}

pub fn word_count(text: &str) -> usize {
    text.split_whitespace().count()
}
