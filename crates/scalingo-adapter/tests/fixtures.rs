//! Every manifest under this crate's `fixtures/` is checked and its diagnostics are snapshotted, one
//! snapshot per file: adding a regression is adding a file.

use std::fs;
use std::path::{Path, PathBuf};

use manifest_core::{Diagnostics, Dialect, Source};
use scalingo_adapter::Scalingo;

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
    match Scalingo.load_manifest(Source::new(name, text)) {
        Err(unreadable) => unreadable,
        Ok(manifest) => {
            let findings = Scalingo.manifest_findings(&manifest);
            Diagnostics::new(manifest.document.source, findings)
        }
    }
}

fn snapshot(kind: &str, path: &Path, diagnostics: &Diagnostics) {
    let stem = path.file_stem().unwrap().to_string_lossy();
    let rendered = diagnostics.render(false);
    for secret in ["fixture-password-not-a-secret", "fixture-salt-not-a-secret"] {
        assert!(!rendered.contains(secret), "{kind}/{stem} shows a secret");
    }
    insta::assert_snapshot!(format!("{kind}__{stem}"), rendered);
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
