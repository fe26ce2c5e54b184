//! The measuring commands the scorers in ../shared/eval call: one JSON line
//! per input file (or readable text for a person), and one bad file never
//! aborts the batch.

use crate::extract::{clean, page};
use crate::feeds::parse::parse_feed;
use crate::pick;
use crate::summarize::{Budget, Extractive};
use serde_json::{Value, json};
use std::io::Write;
use std::path::Path;

fn read(path: &Path, cap: Option<u64>) -> Result<Vec<u8>, String> {
    let cannot = |e: std::io::Error| format!("cannot read {}: {e}", path.display());
    match cap {
        None => std::fs::read(path).map_err(cannot),
        Some(cap) => crate::feeds::read_capped(path, cap)
            .map_err(cannot)?
            .ok_or_else(|| {
                format!(
                    "{} is larger than the {cap}-byte cap (fetch.max_body_bytes; --max-bytes)",
                    path.display()
                )
            }),
    }
}

/// JSON lines for the scorers, text for a person at a terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    Json,
    Text,
}

impl From<bool> for Output {
    fn from(json: bool) -> Self {
        if json { Output::Json } else { Output::Text }
    }
}

fn emit(out: &mut impl Write, format: Output, v: &Value) -> std::io::Result<()> {
    match format {
        Output::Json => writeln!(out, "{v}"),
        Output::Text => writeln!(out, "{}", as_text(v)),
    }
}

/// The JSON line as a person would like to read it: the path as a heading,
/// then each field, lists one item a line.
fn as_text(v: &Value) -> String {
    let mut s = format!("== {}", v["path"].as_str().unwrap_or_default());
    let Some(fields) = v.as_object() else {
        return s;
    };
    // The title reads first, as it would on the page.
    let mut fields: Vec<_> = fields
        .iter()
        .filter(|(k, _)| k.as_str() != "path")
        .collect();
    fields.sort_by_key(|(k, _)| k.as_str() != "title");
    for (key, value) in fields {
        match value {
            Value::Array(items) if items.is_empty() => {}
            Value::Array(items) => {
                s.push_str(&format!("\n{key}:"));
                for item in items {
                    let item = item
                        .as_str()
                        .map_or_else(|| item.to_string(), str::to_string);
                    s.push_str(&format!("\n  - {item}"));
                }
            }
            Value::String(text) if text.contains('\n') => {
                s.push_str(&format!("\n{key}:\n{text}"));
            }
            Value::String(text) => s.push_str(&format!("\n{key}: {text}")),
            Value::Null => {}
            other => s.push_str(&format!("\n{key}: {other}")),
        }
    }
    s.push('\n');
    s
}

/// Runs `f` on each file. A file that cannot be read or processed gets a line
/// with an `error` field plus `on_error`'s fields, so its shape stays familiar.
fn each(
    paths: &[std::path::PathBuf],
    cap: Option<u64>,
    format: Output,
    on_error: Value,
    mut f: impl FnMut(&Path, Vec<u8>) -> Value,
) -> std::io::Result<()> {
    let error_line = |name: &str, message: &str| {
        let mut v = on_error.clone();
        v["path"] = json!(name);
        v["error"] = json!(message);
        v
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for p in paths {
        let name = p.display().to_string();
        let v = match read(p, cap) {
            Ok(bytes) => {
                // A panic in one file's processing must not lose the rest of the batch.
                match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(p, bytes))) {
                    Ok(v) => v,
                    Err(_) => error_line(&name, "internal error while processing this file"),
                }
            }
            Err(e) => error_line(&name, &e),
        };
        emit(&mut out, format, &v)?;
    }
    out.flush()
}

pub fn extract(paths: &[std::path::PathBuf], format: Output) -> std::io::Result<()> {
    each(
        paths,
        None,
        format,
        json!({"title": "", "text": ""}),
        |p, bytes| {
            let path = p.display().to_string();
            let html = String::from_utf8_lossy(&bytes);
            match page::extract_page(&html, None) {
                Ok(page) => json!({"path": path, "title": page.title, "text": page.text}),
                Err(e) => json!({"path": path, "title": "", "text": "", "error": e.to_string()}),
            }
        },
    )
}

pub fn summarize(
    paths: &[std::path::PathBuf],
    sentences: usize,
    max_words: Option<usize>,
    format: Output,
) -> std::io::Result<()> {
    let s = Extractive::default();
    let budget = Budget {
        sentences,
        max_words,
    };
    each(paths, None, format, json!({"sentences": []}), |p, bytes| {
        let raw = String::from_utf8_lossy(&bytes);
        // A saved web page is read the way an article page is at publish time.
        let (title, text) = if looks_like_html(&raw) {
            match page::extract_page(&raw, None) {
                Ok(page) => (Some(page.title).filter(|t| !t.is_empty()), page.text),
                Err(e) => {
                    let path = p.display().to_string();
                    return json!({"path": path, "sentences": [], "error": e.to_string()});
                }
            }
        } else {
            (clean::headline(&raw), raw.into_owned())
        };
        let cleaned = clean::for_summary(&text);
        let headline = title.as_deref().unwrap_or("");
        let mut out = s.sentences_titled(headline, &cleaned, budget);
        if out.is_empty() {
            out = s.sentences_titled(headline, &text, budget);
        }
        json!({"path": p.display().to_string(), "title": title, "sentences": out})
    })
}

/// A document that opens like an HTML page, not text that mentions a tag.
fn looks_like_html(text: &str) -> bool {
    let head: String = text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .chars()
        .take(512)
        .collect::<String>()
        .to_ascii_lowercase();
    head.starts_with('<') && (head.contains("<html") || head.starts_with("<!doctype html"))
}

/// Each line says which signal decided (`by`: "lexicon" or "model"). With
/// `explain` it also says why in words (`why`) and lists the lexicon terms
/// behind the scores (`evidence`) and, where the learned weights decided, the
/// wordpieces that moved them most (`pieces`), largest part first.
pub fn classify(
    paths: &[std::path::PathBuf],
    format: Output,
    explain: bool,
) -> std::io::Result<()> {
    each(paths, None, format, json!({}), |p, bytes| {
        let text = String::from_utf8_lossy(&bytes);
        let d = pick::classify_explained(None, &[], None, "", &text);
        let mut v = json!({
            "path": p.display().to_string(),
            "section": d.section.as_str(),
            "by": d.by.as_str(),
        });
        if explain {
            // The text as classify_explained scores it.
            let evidence = pick::evidence(&format!(". . {text}"));
            v["why"] = json!(d.why);
            v["evidence"] = listed(
                format,
                &evidence,
                |e| json!({"topic": e.topic, "term": e.term, "weight": e.weight, "count": e.count}),
                |e| format!("{:<13} {} ×{} at {:.1}", e.topic, e.term, e.count, e.weight),
            );
            if d.by == pick::DecidedBy::Learned {
                v["pieces"] = listed(
                    format,
                    &pick::learned_evidence(&format!("\n\n{text}"), 12),
                    |e| json!({"piece": e.piece, "count": e.count, "tech": e.tech, "business": e.business}),
                    |e| {
                        format!(
                            "{:<16} ×{} tech {:+.2} business {:+.2}",
                            e.piece, e.count, e.tech, e.business
                        )
                    },
                );
            }
        }
        v
    })
}

/// A list for `--explain`: objects in JSON, one line each as text.
fn listed<T>(
    format: Output,
    items: &[T],
    as_json: impl Fn(&T) -> serde_json::Value,
    as_text: impl Fn(&T) -> String,
) -> serde_json::Value {
    match format {
        Output::Json => json!(items.iter().map(as_json).collect::<Vec<_>>()),
        Output::Text => json!(items.iter().map(as_text).collect::<Vec<_>>()),
    }
}

/// Files are read under `max_bytes`, as fetched feeds are: a file over it
/// gets an error line, and no more than the cap and one byte is read of it.
pub fn parse_feeds(
    paths: &[std::path::PathBuf],
    max_bytes: u64,
    format: Output,
) -> std::io::Result<()> {
    each(
        paths,
        Some(max_bytes),
        format,
        json!({"ok": false, "entries": 0, "titles": []}),
        |p, bytes| {
            let name = p.display().to_string();
            let base = url::Url::from_file_path(crate::feeds::normalize(p)).ok();
            match parse_feed(&bytes, None, &name, base.as_ref()) {
                Ok(f) => json!({
                    "path": name,
                    "ok": true,
                    "entries": f.items.len(),
                    "titles": f.items.iter().map(|i| i.raw_title.clone()).collect::<Vec<_>>(),
                    "text_titles": f.items.iter().map(|i| i.title.clone()).collect::<Vec<_>>(),
                    "repaired": f.repairs,
                }),
                Err(e) => {
                    json!({"path": name, "ok": false, "entries": 0, "titles": [], "error": e.to_string()})
                }
            }
        },
    )
}

/// One line of `roundup cluster`'s input.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct ClusterItem {
    pub id: Value,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub link: Option<String>,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub published: Option<chrono::DateTime<chrono::Utc>>,
}

/// Reads the items, one JSON object a line; a line that is not one is
/// named on stderr and left out (the scorer counts it a story of its own).
pub fn read_cluster_items(path: &Path) -> anyhow::Result<Vec<ClusterItem>> {
    use anyhow::Context;
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut items = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<ClusterItem>(line) {
            Ok(item) => items.push(item),
            Err(e) => eprintln!("{}:{}: skipped: {e}", path.display(), n + 1),
        }
    }
    Ok(items)
}

/// The stories publish would make of these items: the same text cleaning,
/// canonical links and `cluster::stories`. Each item's story is named by
/// the id of the story's first item.
pub fn cluster(items: &[ClusterItem], format: Output) -> std::io::Result<()> {
    use crate::cluster::{Report, shingles, stories};
    let now = chrono::Utc::now();
    let mut sources: std::collections::HashMap<&str, i64> = std::collections::HashMap::new();
    let texts: Vec<String> = items
        .iter()
        .map(|i| crate::pipeline::prose(&i.text))
        .collect();
    let links: Vec<Option<String>> = items
        .iter()
        .map(|i| i.link.as_deref().map(crate::feeds::parse::canonical_link))
        .collect();
    let reports: Vec<Report<'_>> = items
        .iter()
        .enumerate()
        .map(|(n, i)| {
            let next = sources.len() as i64;
            Report {
                feed_id: *sources.entry(i.source.as_str()).or_insert(next),
                title: &i.title,
                text: &texts[n],
                canonical_link: links[n].as_deref(),
                published: i.published.unwrap_or(now),
            }
        })
        .collect();
    let shingled: Vec<Vec<u64>> = texts.iter().map(|t| shingles(t)).collect();
    let groups = stories(&reports, &shingled);
    let mut out = std::io::stdout().lock();
    for group in &groups {
        let story = &items[group[0]].id;
        match format {
            Output::Json => {
                for &i in group {
                    writeln!(out, "{}", json!({"id": items[i].id, "story": story}))?;
                }
            }
            Output::Text => {
                writeln!(out, "== {} item(s)", group.len())?;
                for &i in group {
                    writeln!(out, "  {} ({})", items[i].title, items[i].source)?;
                }
            }
        }
    }
    Ok(())
}
