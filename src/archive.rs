//! The public archive: every published edition as a web page built from the
//! same story partial as the email, an index of editions, and an Atom feed,
//! written to a folder that the HTTP server (or any static host) serves.
//!
//! Rendering is pure (editions in, files out); `write` is the only I/O, and it
//! replaces each file atomically so a reader never sees half a page.

use crate::assemble::Digest;
use crate::render::{DARK, LIGHT, Palette};
use askama::Template;
use chrono::{DateTime, SecondsFormat, Utc};
use std::path::Path;

/// How many editions the index and the feed list.
pub const FEED_ENTRIES: usize = 20;

/// One published edition, as the archive needs it.
#[derive(Debug, Clone)]
pub struct Archived {
    pub digest: Digest,
    pub published: DateTime<Utc>,
}

/// What the pages need to know about the site.
#[derive(Debug, Clone)]
pub struct Site {
    pub newsletter: String,
    /// Public URL of the archive folder, without a trailing slash.
    pub url: String,
    pub list_id: String,
    pub postal_address: String,
}

/// A file to write: its name inside the archive folder and its contents.
#[derive(Debug, Clone, PartialEq)]
pub struct ArchiveFile {
    pub name: String,
    pub contents: String,
}

/// `2026-W47` → `2026-W47.html`. Keys are ours, but a file name is built from
/// it, so anything outside `[A-Za-z0-9_-]` is dropped rather than trusted.
pub fn page_name(edition_key: &str) -> String {
    let safe: String = edition_key
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .collect();
    format!("{safe}.html")
}

struct Neighbour {
    file: String,
}

#[derive(Template)]
#[template(path = "archive/edition.html")]
struct EditionPage<'a> {
    d: &'a Digest,
    newsletter: &'a str,
    light: Palette,
    dark: Palette,
    published: String,
    index_url: &'a str,
    feed_url: &'a str,
    postal_address: &'a str,
    newer: Option<Neighbour>,
    older: Option<Neighbour>,
}

struct IndexEntry {
    file: String,
    subject: String,
    date_label: String,
    stories: usize,
}

#[derive(Template)]
#[template(path = "archive/index.html")]
struct IndexPage<'a> {
    newsletter: &'a str,
    light: Palette,
    dark: Palette,
    feed_url: &'a str,
    postal_address: &'a str,
    editions: Vec<IndexEntry>,
}

#[derive(Template)]
#[template(path = "archive/entry.html")]
struct EntryContent<'a> {
    d: &'a Digest,
}

struct FeedEntry {
    id: String,
    subject: String,
    updated: String,
    url: String,
    summary: String,
    content: String,
}

#[derive(Template)]
#[template(path = "archive/feed.xml")]
struct AtomFeed<'a> {
    newsletter: &'a str,
    feed_id: String,
    updated: String,
    feed_url: &'a str,
    index_url: &'a str,
    entries: Vec<FeedEntry>,
}

/// Every file of the archive for these editions (any order in, newest first
/// out): one page per edition, `index.html` and `feed.xml`.
pub fn render(site: &Site, editions: &[Archived]) -> anyhow::Result<Vec<ArchiveFile>> {
    let mut editions: Vec<&Archived> = editions.iter().collect();
    editions.sort_by(|a, b| {
        b.published
            .cmp(&a.published)
            .then_with(|| b.digest.key.cmp(&a.digest.key))
    });
    let index_url = format!("{}/", site.url);
    let feed_url = format!("{}/feed.xml", site.url);
    let mut files = Vec::with_capacity(editions.len() + 2);
    for (i, e) in editions.iter().enumerate() {
        let neighbour = |j: usize| {
            editions.get(j).map(|n| Neighbour {
                file: page_name(&n.digest.key),
            })
        };
        let page = EditionPage {
            d: &e.digest,
            newsletter: &site.newsletter,
            light: LIGHT,
            dark: DARK,
            published: e.published.format("%-d %B %Y").to_string(),
            index_url: &index_url,
            feed_url: &feed_url,
            postal_address: &site.postal_address,
            newer: i.checked_sub(1).and_then(neighbour),
            older: neighbour(i + 1),
        };
        files.push(ArchiveFile {
            name: page_name(&e.digest.key),
            contents: page.render()?,
        });
    }
    let listed = &editions[..editions.len().min(FEED_ENTRIES)];
    files.push(ArchiveFile {
        name: "index.html".into(),
        contents: IndexPage {
            newsletter: &site.newsletter,
            light: LIGHT,
            dark: DARK,
            feed_url: &feed_url,
            postal_address: &site.postal_address,
            editions: listed
                .iter()
                .map(|e| IndexEntry {
                    file: page_name(&e.digest.key),
                    subject: e.digest.subject.clone(),
                    date_label: e.digest.date_label.clone(),
                    stories: e.digest.story_count(),
                })
                .collect(),
        }
        .render()?,
    });
    files.push(ArchiveFile {
        name: "feed.xml".into(),
        contents: atom(site, listed, &feed_url, &index_url)?,
    });
    Ok(files)
}

fn atom(
    site: &Site,
    editions: &[&Archived],
    feed_url: &str,
    index_url: &str,
) -> anyhow::Result<String> {
    let stamp = |t: &DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
    // A tag: URI stays the same if the archive moves to another host.
    let tag = |what: &str| format!("tag:{},2026:{what}", site.list_id);
    let entries = editions
        .iter()
        .map(|e| {
            Ok(FeedEntry {
                id: tag(&e.digest.key),
                subject: e.digest.subject.clone(),
                updated: stamp(&e.published),
                url: format!("{}/{}", site.url, page_name(&e.digest.key)),
                summary: e.digest.intro.clone(),
                content: EntryContent { d: &e.digest }.render()?,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let updated = editions
        .first()
        .map(|e| stamp(&e.published))
        .unwrap_or_else(|| stamp(&DateTime::<Utc>::UNIX_EPOCH));
    Ok(AtomFeed {
        newsletter: &site.newsletter,
        feed_id: tag("editions"),
        updated,
        feed_url,
        index_url,
        entries,
    }
    .render()?)
}

/// Writes the files into `dir` (created if missing). Each file goes to a
/// temporary name first and is renamed over the old one.
pub fn write(dir: &Path, files: &[ArchiveFile]) -> anyhow::Result<()> {
    use anyhow::Context;
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the archive folder {}", dir.display()))?;
    for f in files {
        let path = dir.join(&f.name);
        let tmp = dir.join(format!(".{}.tmp", f.name));
        std::fs::write(&tmp, &f.contents)
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        std::fs::rename(&tmp, &path)
            .with_context(|| format!("cannot replace {}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assemble::{DigestSection, Story};
    use crate::domain::Section;
    use chrono::TimeZone;

    fn edition(key: &str, day: u32, title: &str) -> Archived {
        Archived {
            digest: Digest {
                key: key.into(),
                newsletter: "Roundup".into(),
                subject: format!("Roundup · {title}"),
                date_label: format!("Week of {day} November 2026"),
                intro: "Five stories & more.".into(),
                sections: vec![DigestSection {
                    section: Section::Tech,
                    title: "Technology".into(),
                    stories: vec![Story {
                        title: title.into(),
                        link: Some("https://example.com/a?x=1&y=2".into()),
                        source: "Example".into(),
                        also: vec![],
                        sources: vec![],
                        summary: vec!["It happened.".into()],
                        reading_minutes: 2,
                    }],
                }],
            },
            published: Utc.with_ymd_and_hms(2026, 11, day, 8, 0, 0).unwrap(),
        }
    }

    fn site() -> Site {
        Site {
            newsletter: "Roundup".into(),
            url: "https://r.example.com/archive".into(),
            list_id: "weekly.example.com".into(),
            postal_address: "1 Main St".into(),
        }
    }

    #[test]
    fn page_names_come_from_the_key_and_nothing_else() {
        assert_eq!(page_name("2026-W47"), "2026-W47.html");
        assert_eq!(page_name("../../etc/passwd"), "etcpasswd.html");
    }

    #[test]
    fn one_page_per_edition_plus_index_and_feed_linked_newest_first() {
        let files = render(
            &site(),
            &[
                edition("2026-W46", 9, "Older <b>"),
                edition("2026-W47", 16, "Newer"),
            ],
        )
        .unwrap();
        let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            ["2026-W47.html", "2026-W46.html", "index.html", "feed.xml"]
        );
        let newest = &files[0].contents;
        assert!(newest.contains("href=\"2026-W46.html\">Previous edition"));
        assert!(!newest.contains("Next edition"));
        assert!(
            files[1]
                .contents
                .contains("href=\"2026-W47.html\">Next edition")
        );
        // Feed text is escaped on the page as in the email.
        assert!(files[1].contents.contains("Older &#60;b&#62;"));
        let index = &files[2].contents;
        assert!(index.find("2026-W47.html").unwrap() < index.find("2026-W46.html").unwrap());
    }

    /// The feed must parse as Atom, entries newest first, with the story
    /// markup carried as escaped HTML.
    #[test]
    fn the_feed_is_valid_atom() {
        let files = render(
            &site(),
            &[
                edition("2026-W46", 9, "Older"),
                edition("2026-W47", 16, "Chips & <dips>"),
            ],
        )
        .unwrap();
        let xml = &files
            .iter()
            .find(|f| f.name == "feed.xml")
            .unwrap()
            .contents;
        let feed = feed_rs::parser::parse(xml.as_bytes()).expect("valid Atom");
        assert_eq!(feed.entries.len(), 2);
        let first = &feed.entries[0];
        assert_eq!(first.id, "tag:weekly.example.com,2026:2026-W47");
        assert_eq!(
            first.title.as_ref().unwrap().content,
            "Roundup · Chips & <dips>"
        );
        assert_eq!(
            first.links[0].href,
            "https://r.example.com/archive/2026-W47.html"
        );
        let body = first.content.as_ref().unwrap().body.as_ref().unwrap();
        assert!(
            body.contains("<a href=\"https://example.com/a?x=1&#38;y=2\">")
                || body.contains("x=1&amp;y=2"),
            "{body}"
        );
        assert!(
            body.contains("Chips &#38; &#60;dips&#62;")
                || body.contains("Chips &amp; &lt;dips&gt;"),
            "{body}"
        );
        assert_eq!(
            feed.updated.unwrap(),
            Utc.with_ymd_and_hms(2026, 11, 16, 8, 0, 0).unwrap()
        );
    }

    #[test]
    fn an_empty_archive_still_has_an_index_and_a_feed() {
        let files = render(&site(), &[]).unwrap();
        assert_eq!(files.len(), 2);
        assert!(feed_rs::parser::parse(files[1].contents.as_bytes()).is_ok());
    }

    #[test]
    fn write_replaces_files_and_leaves_no_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let file = |c: &str| ArchiveFile {
            name: "index.html".into(),
            contents: c.into(),
        };
        write(dir.path(), &[file("one")]).unwrap();
        write(dir.path(), &[file("two")]).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("index.html")).unwrap(),
            "two"
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
