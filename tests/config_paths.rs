//! The config's paths belong to the config file, not to the folder roundup
//! is started from: two runs of one config from two folders share one
//! database and one outbox, so the second sends nothing.

mod support;

use std::path::Path;
use support::binary::{copy_dir, emls, roundup};

#[test]
fn the_demo_keeps_its_state_beside_its_config_wherever_it_is_run_from() {
    let install = tempfile::tempdir().unwrap();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("config"),
        &install.path().join("config"),
    );
    let config = install.path().join("config/demo.toml");
    let config = config.to_str().unwrap();
    let first = tempfile::tempdir().unwrap();
    let second = tempfile::tempdir().unwrap();

    let o = roundup(&["run", "--config", config], first.path());
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(out.contains("published edition"), "{out}");
    assert!(install.path().join("data/demo.db").is_file());
    assert_eq!(emls(&install.path().join("outbox")).len(), 3);

    let o = roundup(&["run", "--config", config], second.path());
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(out.contains("nothing to send"), "the same database: {out}");
    assert_eq!(
        emls(&install.path().join("outbox")).len(),
        3,
        "the same outbox, and nobody mailed twice"
    );

    for cwd in [first.path(), second.path()] {
        for state in ["data", "outbox", "archive"] {
            assert!(
                !cwd.join(state).exists(),
                "{state}/ appeared in the working directory {}",
                cwd.display()
            );
        }
    }
}
