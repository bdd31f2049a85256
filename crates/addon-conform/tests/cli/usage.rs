//! Usage errors end with exit code 2 before any request reaches the provider.

use std::net::TcpListener;
use std::path::Path;

use serde_json::{Value, json};

use crate::harness::addon_conform;

/// A loopback port that only listens: whatever connects to it waits in its backlog.
struct Provider {
    listener: TcpListener,
}

impl Provider {
    fn listen() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        Self { listener }
    }

    fn base_url(&self) -> String {
        format!(
            "http://{}/heroku/resources",
            self.listener.local_addr().unwrap()
        )
    }

    /// Asked once the command has ended, so any connection it made is already queued.
    #[track_caller]
    fn assert_untouched(&self) {
        match self.listener.accept() {
            Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {}
            other => panic!("the command connected to the provider: {other:?}"),
        }
    }
}

/// A Heroku manifest aimed at `provider`, with `password` as its `api.password` (none: absent).
fn write_manifest(dir: &Path, provider: &Provider, password: Option<&str>) {
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../heroku-adapter/fixtures/valid/current.json");
    let mut manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture).unwrap()).unwrap();
    let api = manifest["api"].as_object_mut().unwrap();
    match password {
        Some(password) => api.insert("password".into(), json!(password)),
        None => api.remove("password"),
    };
    api.insert(
        "test".into(),
        json!({"base_url": provider.base_url(), "sso_url": provider.base_url()}),
    );
    std::fs::write(dir.join("addon-manifest.json"), manifest.to_string()).unwrap();
}

#[test]
fn a_manifest_without_a_password_is_refused_before_any_request() {
    let provider = Provider::listen();
    let dir = tempfile::tempdir().unwrap();
    for password in [None, Some(""), Some("  ")] {
        write_manifest(dir.path(), &provider, password);
        for args in [
            &["test", "--timeout", "1"][..],
            &["provision", "--timeout", "1"],
            &["deprovision", "res-1", "--timeout", "1"],
            &["run", "--", "true"],
        ] {
            let run = addon_conform(dir.path(), args);
            run.expect_code(2);
            assert!(run.stderr.contains("has no password"), "{args:?}: {run:#?}");
        }
    }
    provider.assert_untouched();
}

#[test]
fn the_manifest_rules_alone_still_report_the_missing_password() {
    let provider = Provider::listen();
    let dir = tempfile::tempdir().unwrap();
    write_manifest(dir.path(), &provider, None);
    let run = addon_conform(
        dir.path(),
        &[
            "test",
            "--only",
            "manifest.*",
            "--format",
            "json",
            "--timeout",
            "1",
        ],
    );
    run.expect_code(1);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let credentials = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|check| check["id"] == "manifest.credentials")
        .unwrap();
    assert_eq!(credentials["status"], "fail", "{credentials}");
}

#[test]
fn a_base_url_that_is_not_http_is_refused_before_any_request() {
    let provider = Provider::listen();
    let dir = tempfile::tempdir().unwrap();
    write_manifest(dir.path(), &provider, Some("a-password-for-this-test"));
    let address = provider.listener.local_addr().unwrap();
    for url in [
        format!("ftp://{address}/heroku/resources"),
        "mailto:ops@addon.example".into(),
    ] {
        for args in [
            vec!["test", "--base-url", url.as_str()],
            vec!["test", "--sso-url", url.as_str()],
            vec!["provision", "--base-url", url.as_str()],
        ] {
            let run = addon_conform(dir.path(), &args);
            run.expect_code(2);
            assert!(run.stderr.contains("http or https"), "{args:?}: {run:#?}");
        }
    }
    provider.assert_untouched();
}
