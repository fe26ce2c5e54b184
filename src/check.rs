//! `check-config`: what a run would need, each part tried the way a run
//! uses it, creating and sending nothing. The database is only read, the
//! feeds are fetched once and parsed, the relay gets EHLO, STARTTLS and
//! AUTH as configured, and a folder that does not exist yet is only checked
//! to be creatable.

use crate::config::{Config, TransportKind};
use crate::store::{Backend, DatabaseState, Store, redact_url};
use std::path::{Path, PathBuf};

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    Passed {
        what: String,
        detail: String,
    },
    Failed {
        what: String,
        why: String,
    },
    /// Works, but loses something the operator most likely wants.
    Warning(String),
}

fn passed(what: impl Into<String>, detail: impl Into<String>) -> Finding {
    Finding::Passed {
        what: what.into(),
        detail: detail.into(),
    }
}

fn failed(what: impl Into<String>, why: impl Into<String>) -> Finding {
    Finding::Failed {
        what: what.into(),
        why: why.into(),
    }
}

/// Every check, in the order a run meets them.
pub async fn check(config: &Config) -> anyhow::Result<Vec<Finding>> {
    let mut out = database(config).await;
    for probe in crate::pipeline::probe_feeds(config).await? {
        let what = format!("feed {}", probe.name);
        out.push(match probe.result {
            Ok(found) => passed(what, format!("{}: {found}", probe.location)),
            Err(why) => failed(what, why),
        });
    }
    out.extend(newsletter(config));
    match crate::service::serve_config(config) {
        Ok(warnings) => {
            out.push(passed(
                "serve",
                format!("will listen on {}", config.service.bind),
            ));
            out.extend(warnings.into_iter().map(Finding::Warning));
        }
        Err(e) => out.push(failed("serve", format!("{e:#}"))),
    }
    if config.archive.enabled {
        out.push(match folder(Path::new(&config.archive.dir)) {
            Ok(state) => passed("archive", format!("{} {state}", shown(&config.archive.dir))),
            Err(why) => failed("archive", why),
        });
    }
    if config.llm.enabled() {
        out.push(match crate::summarize::Llm::from_env(&config.llm) {
            Ok(_) => passed(
                "summaries",
                format!(
                    "by {} at {}",
                    config.llm.model,
                    redact_url(&config.llm.base_url)
                ),
            ),
            Err(e) => failed("summaries", format!("{e:#}")),
        });
    }
    out.extend(dkim(config));
    out.push(transport(config).await);
    Ok(out)
}

async fn database(config: &Config) -> Vec<Finding> {
    let url = &config.database.url;
    let (finding, newer) = match Store::inspect(url).await {
        Ok(DatabaseState::NotCreated { path }) => {
            let dir = path
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            match folder(dir) {
                Ok(state) => (
                    passed(
                        "database",
                        format!(
                            "{} does not exist yet: the first run creates it (its folder {state})",
                            shown(&path)
                        ),
                    ),
                    None,
                ),
                Err(why) => (
                    failed(
                        "database",
                        format!("{} cannot be created: {why}", shown(&path)),
                    ),
                    None,
                ),
            }
        }
        Ok(DatabaseState::Sqlite { path, version }) => {
            let latest = Store::latest_migration(Backend::Sqlite);
            (
                passed(
                    "database",
                    format!(
                        "SQLite database {}, {}",
                        shown(&path),
                        schema_words(version, latest)
                    ),
                ),
                version.filter(|v| *v > latest),
            )
        }
        Ok(DatabaseState::Postgres { shown, version }) => {
            let latest = Store::latest_migration(Backend::Postgres);
            (
                passed(
                    "database",
                    format!("{shown} answers, {}", schema_words(version, latest)),
                ),
                version.filter(|v| *v > latest),
            )
        }
        Ok(DatabaseState::InMemory) => (
            passed("database", "in memory: nothing is kept after the run"),
            None,
        ),
        Err(why) => (failed("database", why), None),
    };
    let mut out = vec![finding];
    if let Some(v) = newer {
        out.push(Finding::Warning(format!(
            "the database was migrated to version {v} by a newer roundup than this one: run that version"
        )));
    }
    out
}

fn schema_words(version: Option<i64>, latest: i64) -> String {
    match version {
        None => "no tables yet: the first run creates them".into(),
        Some(v) if v == latest => format!("schema version {v}, current"),
        Some(v) if v < latest => {
            format!("schema version {v}: the next run migrates it to version {latest}")
        }
        Some(v) => format!("schema version {v}, newer than this binary's {latest}"),
    }
}

/// What mail providers do with the newsletter's headers.
fn newsletter(config: &Config) -> Vec<Finding> {
    let base = config.newsletter.base_url.trim();
    if base.to_ascii_lowercase().starts_with("https://") {
        return Vec::new();
    }
    vec![Finding::Warning(format!(
        "newsletter.base_url `{base}` is not https: one-click unsubscribe (RFC 8058) needs an https link, so readers on Gmail and Yahoo lose it, and both expect it of bulk senders"
    ))]
}

fn dkim(config: &Config) -> Vec<Finding> {
    let d = &config.dkim;
    if !d.enabled() {
        return vec![Finding::Warning(
            "DKIM is off (dkim.domain is empty): Gmail and Yahoo require bulk senders to sign their mail (DKIM, with SPF and DMARC) and may refuse or junk unsigned mail"
                .into(),
        )];
    }
    vec![match crate::deliver::dkim::Signer::from_settings(d) {
        Ok(_) => passed(
            "dkim",
            format!(
                "signs as {}._domainkey.{} with {}",
                d.selector, d.domain, d.key_file
            ),
        ),
        Err(e) => failed("dkim", format!("{e:#}")),
    }]
}

async fn transport(config: &Config) -> Finding {
    use crate::deliver::Mailer;
    match config.delivery.transport {
        TransportKind::Outbox => {
            let dir = &config.delivery.outbox_dir;
            match folder(Path::new(dir)) {
                Ok(state) => passed("transport", format!("outbox {} {state}", shown(dir))),
                Err(why) => failed("transport", format!("outbox {}: {why}", shown(dir))),
            }
        }
        TransportKind::Smtp => match crate::deliver::SmtpMailer::new(&config.smtp) {
            Ok(m) => match m.check().await {
                Ok(()) => passed("transport", m.describe()),
                Err(e) => failed("transport", format!("{}: {e}", m.describe())),
            },
            Err(e) => failed("transport", format!("{e:#}")),
        },
    }
}

fn shown(path: impl AsRef<Path>) -> String {
    let path = path.as_ref();
    std::path::absolute(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string()
}

/// Whether a run could write into `dir`, without creating it: a folder
/// that exists must take a file, and one that does not must have a nearest
/// existing ancestor that does (a run creates the rest). The probe file is
/// removed at once, so nothing is left behind.
fn folder(dir: &Path) -> Result<String, String> {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let mut existing: PathBuf = std::path::absolute(dir).map_err(|e| e.to_string())?;
    while !existing.exists() {
        if !existing.pop() {
            return Err(format!("no part of {} exists", dir.display()));
        }
    }
    if !existing.is_dir() {
        return Err(format!("{} is not a folder", existing.display()));
    }
    writable(&existing)?;
    if existing == std::path::absolute(dir).map_err(|e| e.to_string())? {
        Ok("exists and is writable".into())
    } else {
        Ok(format!(
            "does not exist yet; it can be created in {}",
            existing.display()
        ))
    }
}

fn writable(dir: &Path) -> Result<(), String> {
    let probe = dir.join(format!(".roundup-check-{}", std::process::id()));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .map_err(|e| format!("cannot write in {}: {e}", dir.display()))?;
    std::fs::remove_file(&probe)
        .map_err(|e| format!("cannot remove the probe {}: {e}", probe.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_folder_is_checked_where_it_would_be_created_and_not_made() {
        let tmp = tempfile::tempdir().unwrap();
        let deep = tmp.path().join("a/b/c");
        let state = folder(&deep).unwrap();
        assert!(state.contains("does not exist yet"), "{state}");
        assert!(state.contains(&tmp.path().display().to_string()), "{state}");
        assert!(!tmp.path().join("a").exists());
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
        assert_eq!(folder(tmp.path()).unwrap(), "exists and is writable");

        let file = tmp.path().join("f");
        std::fs::write(&file, "").unwrap();
        let e = folder(&file.join("sub")).unwrap_err();
        assert!(e.contains("is not a folder"), "{e}");
    }

    #[test]
    fn schema_versions_are_told_against_the_binary() {
        assert!(schema_words(None, 5).contains("no tables yet"));
        assert_eq!(schema_words(Some(5), 5), "schema version 5, current");
        assert!(schema_words(Some(3), 5).contains("migrates it to version 5"));
        assert!(schema_words(Some(7), 5).contains("newer"));
    }
}
