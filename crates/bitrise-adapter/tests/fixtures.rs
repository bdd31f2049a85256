//! Every config under this crate's `fixtures/` is checked and its diagnostics are snapshotted, one
//! snapshot per file: adding a regression is adding a file.

use std::fs;
use std::path::{Path, PathBuf};

use bitrise_adapter::Bitrise;
use manifest_core::{Diagnostics, Dialect, Source};

fn fixtures(kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(kind);
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.extension()
                .is_some_and(|ext| ext == "yaml" || ext == "json")
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixtures in {}", dir.display());
    files
}

/// Load errors, or else the findings, as a user reads them.
fn diagnose(kind: &str, path: &Path) -> Diagnostics {
    let name = format!("{kind}/{}", path.file_name().unwrap().to_string_lossy());
    let text = fs::read_to_string(path).unwrap();
    match Bitrise.load_manifest(Source::new(name, text)) {
        Err(unreadable) => unreadable,
        Ok(manifest) => {
            let findings = Bitrise.manifest_findings(&manifest);
            Diagnostics::new(manifest.document.source, findings)
        }
    }
}

fn snapshot(kind: &str, path: &Path, diagnostics: &Diagnostics) {
    let name = path
        .file_name()
        .unwrap()
        .to_string_lossy()
        .replace('.', "-");
    let rendered = diagnostics.render(false);
    for secret in [
        "fixture-token-not-a-secret",
        "fixture-secret-not-a-secret",
        "0123456789",
    ] {
        assert!(!rendered.contains(secret), "{kind}/{name} shows a secret");
    }
    insta::assert_snapshot!(format!("{kind}__{name}"), rendered);
}

#[test]
fn valid_fixtures_have_no_findings() {
    for path in fixtures("valid") {
        let diagnostics = diagnose("valid", &path);
        assert!(
            diagnostics.items.is_empty(),
            "{}",
            diagnostics.render(false)
        );
        snapshot("valid", &path, &diagnostics);
    }
}

#[test]
fn invalid_fixtures_are_diagnosed() {
    for path in fixtures("invalid") {
        let diagnostics = diagnose("invalid", &path);
        assert!(diagnostics.has_errors(), "{} has no error", path.display());
        snapshot("invalid", &path, &diagnostics);
    }
}
