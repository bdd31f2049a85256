//! Every manifest under this crate's `fixtures/` is checked and its diagnostics are snapshotted,
//! one snapshot per file: adding a regression is adding a file. The documentation's own example
//! (under `platform-examples/`) is correct by definition.

use std::fs;
use std::path::{Path, PathBuf};

use clevercloud_adapter::CleverCloud;
use manifest_core::dialect::Recognition;
use manifest_core::{Diagnostics, Dialect, Source};

fn fixtures(kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(kind);
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixtures in {}", dir.display());
    files
}

/// Load errors, or else the findings, as a user reads them.
fn diagnose(kind: &str, path: &Path) -> Diagnostics {
    let name = format!("{kind}/{}", path.file_name().unwrap().to_string_lossy());
    let text = fs::read_to_string(path).unwrap();
    match CleverCloud.load_manifest(Source::new(name, text)) {
        Err(unreadable) => unreadable,
        Ok(manifest) => {
            let findings = CleverCloud.manifest_findings(&manifest);
            Diagnostics::new(manifest.document.source, findings)
        }
    }
}

fn snapshot(kind: &str, path: &Path, diagnostics: &Diagnostics) {
    let stem = path.file_stem().unwrap().to_string_lossy();
    let rendered = diagnostics.render(false);
    insta::assert_snapshot!(format!("{kind}__{stem}"), rendered);
}

#[test]
fn the_documented_example_loads_and_passes_every_rule() {
    for path in fixtures("platform-examples") {
        let diagnostics = diagnose("platform-examples", &path);
        assert!(
            diagnostics.items.is_empty(),
            "{}",
            diagnostics.render(false)
        );
        let document: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(CleverCloud.recognizes(&document), Recognition::Own);
    }
}

#[test]
fn valid_fixtures_have_no_errors() {
    for path in fixtures("valid") {
        let diagnostics = diagnose("valid", &path);
        assert!(!diagnostics.has_errors(), "{}", diagnostics.render(false));
        snapshot("valid", &path, &diagnostics);
    }
}

#[test]
fn invalid_fixtures_are_diagnosed() {
    for path in fixtures("invalid") {
        let diagnostics = diagnose("invalid", &path);
        assert!(
            !diagnostics.items.is_empty(),
            "{} has no finding",
            path.display()
        );
        snapshot("invalid", &path, &diagnostics);
    }
}
