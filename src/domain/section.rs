use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Section {
    Tech,
    Business,
    Other,
}

impl Section {
    /// The sections an edition carries, in the order readers see them.
    pub const EDITION: [Section; 2] = [Section::Tech, Section::Business];

    pub fn as_str(&self) -> &'static str {
        match self {
            Section::Tech => "tech",
            Section::Business => "business",
            Section::Other => "other",
        }
    }

    pub fn title(&self) -> &'static str {
        match self {
            Section::Tech => "Technology",
            Section::Business => "Business",
            Section::Other => "Other",
        }
    }
}

impl fmt::Display for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Section {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "tech" | "technology" => Ok(Section::Tech),
            "business" => Ok(Section::Business),
            "other" => Ok(Section::Other),
            other => Err(format!(
                "unknown section `{other}` (expected tech, business or other)"
            )),
        }
    }
}
