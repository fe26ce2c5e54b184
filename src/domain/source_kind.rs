use serde::{Deserialize, Serialize};

/// What kind of voice a feed is: its standing in the ranking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// An outlet that reports: a newsroom, a wire, a trade publication.
    News,
    /// One person's writing: a blog, a newsletter.
    Personal,
    /// A feed of others' links and copies: Hacker News, a planet, a news
    /// search. Its choice is a signal, not reporting.
    Aggregator,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::News => "news outlet",
            SourceKind::Personal => "personal feed",
            SourceKind::Aggregator => "aggregator",
        }
    }

    /// The share of its configured weight a feed of this kind carries.
    pub fn standing(self) -> f64 {
        match self {
            SourceKind::News => 1.0,
            SourceKind::Aggregator => 0.7,
            SourceKind::Personal => 0.6,
        }
    }
}
