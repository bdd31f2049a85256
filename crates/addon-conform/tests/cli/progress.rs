//! Progress on standard error: on a terminal only, never with `--quiet` or a machine-readable
//! report on standard output. `script` gives the command a real terminal.

use std::path::Path;
use std::process::Command;

use reference_addon::ReferenceAddon;

use crate::harness::{BIN, addon_conform_async, data_home, dir_with_manifest};

/// Runs `addon-conform ARGS` in `dir` on a pseudo-terminal and returns what the terminal got.
async fn on_a_terminal(dir: &Path, args: &str) -> String {
    let output = tokio::process::Command::from({
        let mut command = Command::new("script");
        command
            .args(["-qec", &format!("'{BIN}' {args}"), "/dev/null"])
            .current_dir(dir)
            .env("XDG_DATA_HOME", data_home());
        command
    })
    .output()
    .await
    .expect("script runs");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_terminal_sees_the_checks_go_by_and_nothing_else_does() {
    let addon = ReferenceAddon::new(heroku_adapter::PLATFORM)
        .start()
        .await
        .unwrap();
    let dir = dir_with_manifest(&addon);

    let shown = on_a_terminal(dir.path(), "test --output report.txt").await;
    assert!(
        shown.contains("checks · manifest: manifest.parse"),
        "{shown}"
    );
    // Later lines are drawn at most twenty times a second, so which of them the terminal gets
    // depends on the machine's speed; the closing summary always comes.
    assert!(shown.contains(" passed, 0 failed"), "{shown}");

    for quiet in [
        "test --output report.txt --quiet",
        "test --format json",
        "-q test",
    ] {
        let shown = on_a_terminal(dir.path(), quiet).await;
        assert!(!shown.contains("checks ·"), "{quiet}: {shown}");
    }

    let piped = addon_conform_async(dir.path(), &["test", "--output", "report.txt"]).await;
    piped.expect_code(0);
    assert!(!piped.stderr.contains("checks ·"), "{piped:#?}");
    addon.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ledger_cleanup_shows_each_entry_as_it_settles() {
    let addon = ReferenceAddon::new(heroku_adapter::PLATFORM)
        .fault(reference_addon::Fault::DeprovisionFails)
        .start()
        .await
        .unwrap();
    let dir = dir_with_manifest(&addon);
    let left = addon_conform_async(
        dir.path(),
        &[
            "test",
            "--only",
            "provision.status",
            "--ledger",
            "ledger.sqlite3",
        ],
    )
    .await;
    assert!(
        left.stdout.contains("ledger cleanup"),
        "the run leaves its resource behind: {left:#?}"
    );

    let shown = on_a_terminal(dir.path(), "ledger cleanup --ledger ledger.sqlite3").await;
    assert!(shown.contains("ledger entries · "), "{shown}");
    assert!(shown.contains(" settled"), "{shown}");
    assert!(shown.contains("1 removed, 0 left"), "{shown}");
    addon.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn load_shows_the_cycles_as_they_end() {
    let addon = ReferenceAddon::new(heroku_adapter::PLATFORM)
        .start()
        .await
        .unwrap();
    let dir = dir_with_manifest(&addon);
    let load = "load --cycles 3 --concurrency 1 --ledger ledger.sqlite3";
    let shown = on_a_terminal(dir.path(), load).await;
    assert!(
        shown.contains("cycles · 1 ended, 0 operations failed"),
        "{shown}"
    );
    assert!(shown.contains("provision"), "the table follows: {shown}");

    let shown = on_a_terminal(dir.path(), &format!("{load} --format json")).await;
    assert!(!shown.contains("cycles ·"), "{shown}");
    addon.shutdown().await;
}
