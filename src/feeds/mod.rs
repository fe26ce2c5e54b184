//! Feeds: where they live (`FeedSource`), how they are fetched (`fetch`) and
//! how their bytes become `FeedItem`s (`parse`).

pub mod dates;
pub mod fetch;
pub mod guard;
pub mod parse;
pub mod repair;
pub mod sanitize;

use crate::domain::{ItemKey, Section};
use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};
use url::Url;

/// Where a feed is read from. Only the operator's config can name a local file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedLocation {
    Remote(Url),
    Local(PathBuf),
}

impl FeedLocation {
    /// A config value: an http(s) URL, or a path relative to `base_dir`.
    pub fn from_config(value: &str, base_dir: &Path) -> Self {
        match Url::parse(value) {
            Ok(u) if u.scheme() == "http" || u.scheme() == "https" => FeedLocation::Remote(u),
            _ => {
                let p = Path::new(value);
                let full = if p.is_absolute() {
                    p.to_path_buf()
                } else {
                    base_dir.join(p)
                };
                FeedLocation::Local(normalize(&full))
            }
        }
    }

    /// The stable string the store keys the feed by.
    pub fn key(&self) -> String {
        match self {
            FeedLocation::Remote(u) => u.to_string(),
            FeedLocation::Local(p) => file_url(p),
        }
    }

    /// Base for resolving links inside the feed.
    pub fn base_url(&self) -> Option<Url> {
        match self {
            FeedLocation::Remote(u) => Some(u.clone()),
            FeedLocation::Local(p) => Url::from_file_path(p).ok(),
        }
    }
}

/// A file's bytes, or `None` when it holds more than `cap`. At most `cap + 1`
/// bytes are read, so neither a huge file nor one without a size (a pipe, a
/// device, a file still growing) is taken into memory whole.
pub fn read_capped(path: &Path, cap: u64) -> std::io::Result<Option<Vec<u8>>> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let hint = file.metadata().map_or(0, |m| m.len()).min(cap + 1);
    let mut bytes = Vec::with_capacity(usize::try_from(hint).unwrap_or(0));
    file.take(cap.saturating_add(1)).read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= cap).then_some(bytes))
}

pub fn file_url(p: &Path) -> String {
    Url::from_file_path(p)
        .map(|u| u.to_string())
        .unwrap_or_else(|_| format!("file://{}", p.display()))
}

/// Lexical normalisation (no filesystem access): resolves `.` and `..`.
pub fn normalize(p: &Path) -> PathBuf {
    use std::path::Component;
    let abs = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(p)
    };
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// A configured feed plus what the store remembers about it.
#[derive(Debug, Clone)]
pub struct FeedSource {
    pub id: i64,
    pub location: FeedLocation,
    pub name: String,
    pub section_hint: Option<Section>,
    pub weight: f64,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// One entry of a feed, with a key that stays the same across refreshes.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedItem {
    pub key: ItemKey,
    /// Plain text, for readers.
    pub title: String,
    /// As the feed gave it (HTML when the feed typed it HTML).
    pub raw_title: String,
    /// Absolute http(s) URL, or a file: URL for entries of a local feed.
    pub link: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub author: Option<String>,
    pub categories: Vec<String>,
    /// Short description as given by the feed (HTML or text).
    pub summary: Option<String>,
    /// Full content as given by the feed (HTML or text).
    pub content: Option<String>,
}
