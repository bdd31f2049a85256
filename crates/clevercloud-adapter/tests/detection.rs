//! Clever Cloud's manifest has Heroku's shape. The cli reads the documented example, whose URLs
//! carry `/clevercloud/`, as Clever Cloud's without `--platform`, and refuses the same manifest
//! with neutral URLs as ambiguous (exit 2, naming both platforms and `--platform`) instead of
//! reading it as Heroku's.

use std::path::{Path, PathBuf};

use addon_conform::args::Cli;
use clap::Parser;

fn documented_example() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/platform-examples/marketplace-manifest.json");
    std::fs::read_to_string(path).unwrap()
}

/// `addon-conform manifest check --manifest <text written to a file>`, in process.
fn manifest_check(text: &str) -> Result<i32, addon_conform::error::CliError> {
    let dir = tempfile::tempdir().unwrap();
    let path: PathBuf = dir.path().join("manifest.json");
    std::fs::write(&path, text).unwrap();
    let cli = Cli::try_parse_from([
        "addon-conform",
        "manifest",
        "check",
        "--manifest",
        path.to_str().unwrap(),
    ])
    .unwrap();
    addon_conform::run(cli)
}

#[test]
fn the_documented_example_is_read_as_clever_cloud_without_platform() {
    assert_eq!(manifest_check(&documented_example()).unwrap(), 0);
}

#[test]
fn the_example_with_neutral_urls_is_refused_as_ambiguous() {
    let neutral = documented_example().replace("/clevercloud/", "/addon/");
    let refusal = manifest_check(&neutral).unwrap_err();
    assert_eq!(refusal.exit_code(), 2);
    let message = refusal.to_string();
    for named in [
        "heroku (Heroku)",
        "clevercloud (Clever Cloud)",
        "--platform",
    ] {
        assert!(message.contains(named), "{named} missing from: {message}");
    }
}
