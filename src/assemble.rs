//! Picks plus summaries become the edition's `Digest`: what every subscriber
//! reads, stored once and never changed after it is published.

use crate::domain::{EditionKey, Section};
use crate::pick::{Pick, SourceRef};
use serde::{Deserialize, Serialize};

/// What a reader sees of one story.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Story {
    pub title: String,
    pub link: Option<String>,
    pub source: String,
    pub also: Vec<AlsoCovered>,
    /// Every other item merged into the story, from the same feed too
    /// (empty in editions stored before it was kept).
    #[serde(default)]
    pub sources: Vec<AlsoCovered>,
    pub summary: Vec<String>,
    pub reading_minutes: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlsoCovered {
    pub name: String,
    pub link: Option<String>,
}

impl From<&SourceRef> for AlsoCovered {
    fn from(s: &SourceRef) -> Self {
        Self {
            name: s.name.clone(),
            link: s.link.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DigestSection {
    pub section: Section,
    pub title: String,
    pub stories: Vec<Story>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Digest {
    pub key: String,
    pub newsletter: String,
    pub subject: String,
    /// e.g. "Week of 16 November 2026".
    pub date_label: String,
    pub intro: String,
    pub sections: Vec<DigestSection>,
}

impl Digest {
    pub fn story_count(&self) -> usize {
        self.sections.iter().map(|s| s.stories.len()).sum()
    }

    pub fn lead(&self) -> Option<&Story> {
        self.sections.iter().flat_map(|s| s.stories.first()).next()
    }
}

/// A pick with its summary and the source's display name.
pub struct Summarized<'a> {
    pub pick: &'a Pick,
    pub summary: Vec<String>,
    pub word_count: usize,
}

/// Builds the digest. `subject_template` takes {name}, {date} and {lead}.
pub fn assemble(
    key: EditionKey,
    newsletter: &str,
    subject_template: &str,
    words_per_minute: usize,
    stories: &[Summarized<'_>],
) -> Digest {
    let date_label = format!("Week of {}", key.monday().format("%-d %B %Y"));
    let sections: Vec<DigestSection> = Section::EDITION
        .iter()
        .map(|&section| DigestSection {
            section,
            title: section.title().to_string(),
            stories: stories
                .iter()
                .filter(|s| s.pick.section == section)
                .map(|s| Story {
                    title: s.pick.candidate.title.clone(),
                    link: s.pick.candidate.link.clone(),
                    source: s.pick.candidate.source_name.clone(),
                    also: s.pick.also.iter().map(AlsoCovered::from).collect(),
                    sources: s.pick.members.iter().map(AlsoCovered::from).collect(),
                    summary: s.summary.clone(),
                    reading_minutes: reading_minutes(s.word_count, words_per_minute),
                })
                .collect(),
        })
        .filter(|s| !s.stories.is_empty())
        .collect();
    let lead = sections
        .iter()
        .flat_map(|s| s.stories.first())
        .next()
        .map(|s| s.title.clone())
        .unwrap_or_else(|| "this week's roundup".into());
    let count: usize = sections.iter().map(|s| s.stories.len()).sum();
    let intro = match count {
        0 => "A quiet week: nothing new made the cut.".to_string(),
        1 => "One story worth your time this week.".to_string(),
        n => format!(
            "{n} stories worth your time this week, in {}.",
            sections
                .iter()
                .map(|s| s.title.to_lowercase())
                .collect::<Vec<_>>()
                .join(" and ")
        ),
    };
    let subject = subject_line(
        subject_template,
        newsletter,
        &key.monday().format("%-d %b").to_string(),
        &lead,
    );
    Digest {
        key: key.to_string(),
        newsletter: newsletter.to_string(),
        subject,
        date_label,
        intro,
        sections,
    }
}

fn reading_minutes(words: usize, wpm: usize) -> u32 {
    (words.div_ceil(wpm.max(1))).max(1) as u32
}

/// Fills the template and keeps the subject within 78 characters by
/// shortening the lead title at a word boundary.
pub fn subject_line(template: &str, name: &str, date: &str, lead: &str) -> String {
    const MAX: usize = 78;
    let fill = |lead: &str| {
        template
            .replace("{name}", name)
            .replace("{date}", date)
            .replace("{lead}", lead)
    };
    let full = fill(lead);
    if full.chars().count() <= MAX {
        return full;
    }
    let overflow = full.chars().count() - MAX + 1;
    let keep = lead.chars().count().saturating_sub(overflow);
    let mut cut: String = lead.chars().take(keep).collect();
    if let Some(i) = cut.rfind(' ') {
        cut.truncate(i);
    }
    let cut = cut.trim_end_matches([',', ';', ':', '-', ' ']);
    let s = fill(&format!("{cut}…"));
    s.chars().take(MAX).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_stays_within_78_characters() {
        let lead = "An extraordinarily long headline about a chip maker that announced a great many things on Monday";
        let s = subject_line("{name} · {date}: {lead}", "Roundup", "16 Nov", lead);
        assert!(s.chars().count() <= 78, "{s}");
        assert!(s.ends_with('…'));
        assert!(s.starts_with("Roundup · 16 Nov: An extraordinarily"));
        assert_eq!(subject_line("{name}: {lead}", "R", "", "Short"), "R: Short");
    }

    #[test]
    fn reading_time_is_at_least_a_minute() {
        assert_eq!(reading_minutes(10, 230), 1);
        assert_eq!(reading_minutes(700, 230), 4);
    }
}
