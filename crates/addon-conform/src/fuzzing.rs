//! What the fuzz targets run (`fuzz/fuzz_targets/`, `cargo xtask fuzz`), as plain functions so
//! that the committed corpus (`fuzz/corpus/<target>/`) replays through the same code on stable
//! in the test suite. Whatever the bytes, each function returns; a panic or a hang is the bug.
//!
//! Every dialect of the registry is fuzzed: a platform added there is covered with no change
//! here or in the fuzz crate.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Duration;

use manifest_core::http::HttpResponse;
use manifest_core::{Diagnostics, Dialect, JsonDocument, ProvisionInput, Secret, Source};

/// A fuzz target: the name of its cargo-fuzz binary and corpus directory, and what it runs.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    pub name: &'static str,
    pub run: fn(&[u8]),
}

/// Every fuzz target, in the order `cargo xtask fuzz` runs them.
pub const TARGETS: [Target; 2] = [
    Target {
        name: "manifest",
        run: manifest,
    },
    Target {
        name: "provision_answer",
        run: provision_answer,
    },
];

/// The dialects under test: every one the registry knows.
fn dialects() -> &'static [&'static dyn Dialect] {
    dialects::all()
}

/// The bytes as a manifest file, read the way `manifest check` and `test` read one: parsed as
/// JSON to recognise its platform, then loaded by every dialect, its findings computed and
/// every diagnostic rendered (spans into the text, snippets with secrets masked).
pub fn manifest(data: &[u8]) {
    let source = Source::new("fuzz-manifest", String::from_utf8_lossy(data));
    let document = JsonDocument::parse(source.clone());
    if let Err(diagnostics) = &document {
        render(diagnostics);
    }
    for dialect in dialects() {
        if let Ok(document) = &document {
            black_box(dialect.recognizes(&document.value));
        }
        match dialect.load_manifest(source.clone()) {
            Ok(manifest) => {
                black_box(dialect.recognizes(&manifest.document.value));
                render(&Diagnostics::new(
                    source.clone(),
                    dialect.manifest_findings(&manifest),
                ));
            }
            Err(diagnostics) => render(&diagnostics),
        }
    }
}

/// Renders diagnostics as `manifest check` does, for people and as JSON positions.
fn render(diagnostics: &Diagnostics) {
    black_box(diagnostics.render(false));
    for diagnostic in &diagnostics.items {
        black_box(diagnostics.location(diagnostic));
    }
}

/// The bytes as a provider's answer to a provision, read by every dialect's readers: the first
/// line is the status (200 when it is not a number), the lines up to the first empty one are
/// headers (`name: value`), the rest is the body.
pub fn provision_answer(data: &[u8]) {
    let response = answer(data);
    let input = input();
    for dialect in dialects() {
        black_box(dialect.read_provision(&input, &response).ok());
        black_box(dialect.answered_id(&input, &response));
        black_box(dialect.plan_change_config(&response));
    }
}

/// An answer from fuzz bytes, in the layout [`provision_answer`] describes.
fn answer(data: &[u8]) -> HttpResponse {
    let (head, body) = match data.windows(2).position(|pair| pair == b"\n\n") {
        Some(end) => (&data[..end], &data[end + 2..]),
        None => (data, &[][..]),
    };
    let head = String::from_utf8_lossy(head);
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.trim().parse().ok())
        .unwrap_or(200);
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_string(), value.trim().to_string()))
        .collect();
    HttpResponse {
        status,
        headers,
        body: body.to_vec(),
        truncated: false,
        elapsed: Duration::ZERO,
    }
}

/// The provision the answers reply to, as the engine generates one.
fn input() -> ProvisionInput {
    ProvisionInput {
        uuid: "0f5e6c3a-3b4d-4e8f-9a1b-2c3d4e5f6a7b".into(),
        app_slug: "fuzz-app".into(),
        app_name: "Fuzz app ☃".into(),
        resource_name: "fuzz-resource".into(),
        plan: "test".into(),
        region: "us".into(),
        options: BTreeMap::new(),
        api_token: Secret::new("fuzz-api-token"),
        log_drain_token: "fuzz-drain-token".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_status_headers_and_body() {
        let response = answer(b"201\ncontent-type: application/json\nx-a:b:c\n\n{\"id\":1}\n\n");
        assert_eq!(response.status, 201);
        assert_eq!(
            response.headers,
            [
                ("content-type".to_string(), "application/json".to_string()),
                ("x-a".to_string(), "b:c".to_string())
            ]
        );
        assert_eq!(response.body, b"{\"id\":1}\n\n");
    }

    #[test]
    fn an_answer_without_a_status_or_body_is_a_bodiless_200() {
        let response = answer(b"nope\nx: y");
        assert_eq!(response.status, 200);
        assert_eq!(response.headers.len(), 1);
        assert!(response.body.is_empty());
    }
}
