//! Relative paths in a config name places beside the config file. Resolving
//! them against the working directory meant that starting roundup from
//! another folder quietly opened a fresh database and sent the week again.

use std::path::{Component, Path, PathBuf};

/// The folder `source` sits in, absolute and with symlinks resolved, so one
/// file always means one database however it was reached. A folder that
/// cannot be resolved (a config that was never on disk) is made absolute
/// lexically instead.
pub(super) fn config_dir(source: &Path) -> PathBuf {
    let parent = match source.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::canonicalize(parent).unwrap_or_else(|_| {
        let absolute = std::path::absolute(parent).unwrap_or_else(|_| parent.to_path_buf());
        fold(&absolute)
    })
}

/// `.` and `..` folded away without the filesystem, so messages show the
/// path that is meant rather than how it was spelt.
fn fold(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// A file or folder setting, resolved against `dir`. Empty values keep
/// meaning "not set", and absolute ones are the operator's exact choice.
pub(super) fn beside(value: &str, dir: &Path) -> String {
    if value.trim().is_empty() || Path::new(value).is_absolute() {
        return value.to_string();
    }
    fold(&dir.join(value)).to_string_lossy().into_owned()
}

/// `database.url`: only a SQLite file is a path. In-memory databases,
/// absolute files and every other scheme stay as written; the query
/// (`?mode=ro`) is kept.
pub(super) fn database_url(url: &str, dir: &Path) -> String {
    let Some(rest) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    else {
        return url.to_string();
    };
    let (file, query) = match rest.split_once('?') {
        Some((file, query)) => (file, Some(query)),
        None => (rest, None),
    };
    if file.is_empty() || file == ":memory:" || Path::new(file).is_absolute() {
        return url.to_string();
    }
    let mut out = format!("sqlite://{}", beside(file, dir));
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIR: &str = "/etc/roundup";

    #[test]
    fn relative_paths_land_beside_the_config() {
        let dir = Path::new(DIR);
        assert_eq!(beside("outbox", dir), "/etc/roundup/outbox");
        assert_eq!(beside("./keys/dkim.pem", dir), "/etc/roundup/keys/dkim.pem");
        assert_eq!(
            database_url("sqlite://data/roundup.db", dir),
            "sqlite:///etc/roundup/data/roundup.db"
        );
        assert_eq!(
            database_url("sqlite:data/roundup.db", dir),
            "sqlite:///etc/roundup/data/roundup.db"
        );
    }

    #[test]
    fn parent_steps_are_folded() {
        let dir = Path::new(DIR);
        assert_eq!(beside("../var/archive", dir), "/etc/var/archive");
        assert_eq!(beside("a/../../b/./c", dir), "/etc/b/c");
        assert_eq!(
            database_url("sqlite://../data/demo.db", dir),
            "sqlite:///etc/data/demo.db"
        );
    }

    #[test]
    fn absolute_and_empty_values_stay_as_written() {
        let dir = Path::new(DIR);
        assert_eq!(
            beside("/var/lib/roundup/outbox", dir),
            "/var/lib/roundup/outbox"
        );
        assert_eq!(beside("/var/lib/../x", dir), "/var/lib/../x");
        assert_eq!(beside("", dir), "");
        assert_eq!(beside("  ", dir), "  ");
        for url in [
            "sqlite:///var/lib/roundup/roundup.db",
            "sqlite:///var/lib/roundup/roundup.db?mode=ro",
            "postgres://roundup@localhost/roundup",
            "postgresql://roundup@localhost/roundup?sslmode=require",
        ] {
            assert_eq!(database_url(url, dir), url);
        }
    }

    #[test]
    fn in_memory_databases_are_not_files() {
        let dir = Path::new(DIR);
        for url in [
            "sqlite::memory:",
            "sqlite://:memory:",
            "sqlite://?mode=memory",
            "sqlite://",
        ] {
            assert_eq!(database_url(url, dir), url);
        }
    }

    #[test]
    fn the_query_survives_resolution() {
        let dir = Path::new(DIR);
        assert_eq!(
            database_url("sqlite://data/r.db?mode=ro&cache=private", dir),
            "sqlite:///etc/roundup/data/r.db?mode=ro&cache=private"
        );
    }

    #[test]
    fn the_folder_is_absolute_whatever_the_config_path() {
        let here = std::fs::canonicalize(".").unwrap();
        assert_eq!(config_dir(Path::new("roundup.toml")), here);
        assert_eq!(config_dir(Path::new("./roundup.toml")), here);
        let tmp = tempfile::tempdir().unwrap();
        let real = std::fs::canonicalize(tmp.path()).unwrap();
        std::fs::create_dir(real.join("config")).unwrap();
        let spelt = tmp.path().join("config/../config/roundup.toml");
        assert_eq!(config_dir(&spelt), real.join("config"));
        // Never on disk: still absolute, with `..` folded.
        assert_eq!(
            config_dir(Path::new("/nonexistent/a/../b/roundup.toml")),
            Path::new("/nonexistent/b")
        );
    }
}
