//! Progress on standard error: on a terminal only, never with `--quiet` or a machine-readable
//! report on standard output. `script` gives the command a real terminal.

use std::path::Path;
use std::process::Command;

use reference_addon::ReferenceAddon;

use crate::harness::{BIN, addon_conform_async, data_home};

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
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("addon-manifest.json"),
        addon.manifest_json(),
    )
    .unwrap();

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
