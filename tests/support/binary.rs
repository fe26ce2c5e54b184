//! Running the built binary the way a user does, in a folder of its own.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `roundup ARGS` in `cwd`, with no config or log level leaking in from the
/// environment.
pub fn roundup(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_roundup"))
        .args(args)
        .current_dir(cwd)
        .env_remove("ROUNDUP_CONFIG")
        .env("ROUNDUP_LOG", "off")
        .output()
        .expect("run roundup")
}

/// The .eml files an outbox folder holds, one sub-folder per edition.
pub fn emls(outbox: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for edition in std::fs::read_dir(outbox).into_iter().flatten().flatten() {
        for f in std::fs::read_dir(edition.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            if f.path().extension().is_some_and(|x| x == "eml") {
                out.push(f.path());
            }
        }
    }
    out.sort();
    out
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}
