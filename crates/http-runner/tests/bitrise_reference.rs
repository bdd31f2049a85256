//! Every Bitrise check proven both ways against the reference add-on: the correct provider
//! passes it, and the provider switched into the fault that targets it fails it (or, for
//! `should` checks, warns). Also: the generic env var rules on answers no fault produces, and
//! the login page read as HTML5, as a browser reads it, not as XML.

use std::collections::BTreeMap;

use bitrise_adapter::Bitrise;
use http_runner::{Ledger, OpError, Operations, OperationsOptions, RunOptions, run_suite};
use manifest_core::report::Status;
use manifest_core::{Dialect, Report, Source};
use reference_addon::{Fault, ReferenceAddon};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn load(config: String) -> manifest_core::Manifest {
    Bitrise
        .load_manifest(Source::new("config.yaml", config))
        .expect("the config loads")
}

async fn run_against(addon: ReferenceAddon, options: RunOptions) -> (Report, Vec<String>) {
    let running = addon.start().await.expect("reference add-on starts");
    let manifest = load(running.manifest_json());
    let report = run_suite(&Bitrise, manifest, options, std::future::pending())
        .await
        .expect("the run starts");
    let live = running.live_resources();
    running.shutdown().await;
    (report, live)
}

fn options() -> RunOptions {
    RunOptions {
        seed: 7,
        cases: 1,
        ..RunOptions::default()
    }
}

fn failures(report: &Report) -> Vec<String> {
    report
        .checks
        .iter()
        .filter(|check| check.status == Status::Fail || check.status == Status::Warn)
        .map(|check| format!("{} ({:?}): {}", check.id, check.status, check.message))
        .collect()
}

#[tokio::test]
async fn the_correct_provider_passes_every_check_and_leaves_nothing_behind() {
    let (report, live) =
        run_against(ReferenceAddon::new(bitrise_adapter::PLATFORM), options()).await;
    assert_eq!(failures(&report), Vec::<String>::new());
    assert!(live.is_empty(), "left behind: {live:?}");
    assert!(report.leftovers.is_empty());
    for check in &report.checks {
        // Generated sequences of operations are the one part a run may leave out.
        assert!(
            check.status != Status::Skip || check.id == "lifecycle.model",
            "{} was skipped: {}",
            check.id,
            check.message
        );
    }
    let ids: Vec<&str> = report.checks.iter().map(|c| c.id.as_str()).collect();
    let expected: Vec<&str> = manifest_core::catalog::for_dialect(&bitrise_adapter::Bitrise)
        .map(|c| c.id)
        .collect();
    assert_eq!(
        ids, expected,
        "every applicable check appears once, in catalog order"
    );
    let kinds = report.check("sso.token-kinds").unwrap();
    assert_eq!(
        kinds.message,
        "honoured alone: id token (sha1 of id), sha256 token"
    );
}

#[tokio::test]
async fn the_bitrise_faults_fail_for_the_reasons_bitrise_gives() {
    let reasons = [
        (
            Fault::CreatedOnEveryRepeat,
            "provision.idempotent",
            "replayed provision: expected 200, got 201",
        ),
        (
            Fault::RotatingEnvs,
            "provision.idempotent",
            "the replay returned different config for `REFERENCE_DB_TOKEN`",
        ),
        (
            Fault::EmptyEnvValue,
            "provision.envs",
            "`REFERENCE_DB_TOKEN` has an empty value",
        ),
        (
            Fault::RepeatDelete404,
            "deprovision.repeat",
            "repeated deprovision: expected 200, 201, 202, 203, 204, 205, 206, 207, 208 or 226, \
             got 404",
        ),
        (
            Fault::LoginNeedsAuthToken,
            "sso.login",
            "a valid login ended on 403",
        ),
        (
            Fault::LoginWithoutBeam,
            "sso.html",
            "the page does not include `@bitrise/beam`",
        ),
        (
            Fault::Sha256TokenRefused,
            "sso.token-kinds",
            "a valid login with only the sha256 token did not open the dashboard",
        ),
        (
            Fault::SsoAcceptsAnyToken,
            "sso.rejects-bad-token",
            "a login with tokens minted from a wrong salt was not refused",
        ),
    ];
    for (fault, check, reason) in reasons {
        let addon = ReferenceAddon::new(bitrise_adapter::PLATFORM).fault(fault);
        let (report, live) = run_against(addon, options()).await;
        let verdict = report.check(check).unwrap();
        assert_eq!(verdict.status, Status::Fail, "{fault}: {}", verdict.message);
        assert!(
            verdict.message.starts_with(reason),
            "{fault}: {}",
            verdict.message
        );
        assert!(live.is_empty(), "{fault} left {live:?}");
    }
}

/// Reads a page the way an XML parser does: every element closed, in order.
fn parse_as_xml(page: &str) -> Result<(), String> {
    let mut reader = quick_xml::Reader::from_str(page);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => return Ok(()),
            Ok(_) => {}
            Err(error) => return Err(error.to_string()),
        }
    }
}

#[tokio::test]
async fn an_html5_page_with_void_elements_passes_where_an_xml_parse_fails() {
    let mut options = options();
    options.only = vec!["sso.*".into()];
    let (report, live) = run_against(ReferenceAddon::new(bitrise_adapter::PLATFORM), options).await;
    assert!(live.is_empty());
    let html = report.check("sso.html").unwrap();
    assert_eq!(html.status, Status::Pass, "{}", html.message);
    let page = html
        .exchanges
        .last()
        .and_then(|exchange| exchange.response.as_ref())
        .map(|response| response.body.clone())
        .expect("the page the login ended on");
    assert!(page.contains("<meta charset=\"utf-8\">"), "{page}");
    assert!(parse_as_xml(&page).is_err(), "{page}");
    // The same parse takes a page written as XML: the difference is the void elements.
    let as_xml = page
        .replace("<meta charset=\"utf-8\">", "<meta charset=\"utf-8\"/>")
        .replace("initial-scale=1\">", "initial-scale=1\"/>")
        .replace("<br>", "<br/>")
        .replace("<hr>", "<hr/>");
    assert_eq!(parse_as_xml(&as_xml), Ok(()), "{as_xml}");
}

/// A provider at `server` whose every provision answers `envs`, and whose deletes succeed.
async fn provider_answering(server: &MockServer, envs: serde_json::Value) {
    Mock::given(method("POST"))
        .and(path("/bitrise/provision"))
        .respond_with(ResponseTemplate::new(201).set_body_json(serde_json::json!({"envs": envs})))
        .mount(server)
        .await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(200))
        .mount(server)
        .await;
}

#[tokio::test]
async fn env_var_rules_catch_empty_values_invalid_and_repeated_keys() {
    let server = MockServer::start().await;
    provider_answering(
        &server,
        serde_json::json!([
            {"key": "ADDON_URL", "value": "https://addon.example"},
            {"key": "ADDON_TOKEN", "value": ""},
            {"key": "1ADDON-KEY", "value": "x"},
            {"key": "ADDON_URL", "value": "https://other.example"},
        ]),
    )
    .await;
    let config = format!(
        "addon-url: {}/bitrise\nauth-token: token\nsso-secret: secret\n",
        server.uri()
    );
    let options = RunOptions {
        only: vec!["provision.envs".into()],
        ..options()
    };
    let report = run_suite(&Bitrise, load(config), options, std::future::pending())
        .await
        .unwrap();
    let envs = report.check("provision.envs").unwrap();
    assert_eq!(envs.status, Status::Fail);
    for problem in [
        "`ADDON_TOKEN` has an empty value",
        "`1ADDON-KEY` is not a valid environment variable name",
        "`ADDON_URL` is returned more than once",
    ] {
        assert!(envs.message.contains(problem), "{}", envs.message);
    }
    assert!(!envs.message.contains("not declared"), "{}", envs.message);
}

#[tokio::test]
async fn an_answer_without_envs_passes_the_env_var_rules() {
    let server = MockServer::start().await;
    provider_answering(&server, serde_json::json!([])).await;
    let config = format!(
        "addon-url: {}/bitrise\nauth-token: token\nsso-secret: secret\n",
        server.uri()
    );
    let options = RunOptions {
        only: vec!["provision.*".into()],
        ..options()
    };
    let report = run_suite(&Bitrise, load(config), options, std::future::pending())
        .await
        .unwrap();
    for id in ["provision.status", "provision.body", "provision.envs"] {
        assert_eq!(report.check(id).unwrap().status, Status::Pass, "{id}");
    }
}

#[tokio::test]
async fn no_secret_reaches_the_report() {
    let running = ReferenceAddon::new(bitrise_adapter::PLATFORM)
        .start()
        .await
        .unwrap();
    let manifest = load(running.manifest_json());
    let secrets: Vec<String> = manifest
        .secrets()
        .iter()
        .map(|s| s.expose().to_string())
        .collect();
    let report = run_suite(&Bitrise, manifest, options(), std::future::pending())
        .await
        .unwrap();
    running.shutdown().await;
    let json = serde_json::to_string(&report).unwrap();
    for secret in secrets {
        assert!(!json.contains(&secret), "a secret reached the report");
    }
    assert!(json.contains("Authentication: [REDACTED]"), "{json}");
}

#[tokio::test]
async fn single_operations_expect_201_for_a_new_app_and_200_for_a_replay() {
    let running = ReferenceAddon::new(bitrise_adapter::PLATFORM)
        .start()
        .await
        .unwrap();
    let manifest = load(running.manifest_json());
    let ledger = Ledger::in_memory().unwrap();
    let operations =
        Operations::new(&Bitrise, manifest, OperationsOptions::default(), ledger).unwrap();
    let input = operations.fresh_input("free", BTreeMap::new()).unwrap();
    let first = operations.provision_input(&input).await.unwrap();
    assert_eq!(first.id, input.app_slug);
    assert!(first.config.contains_key("REFERENCE_DB_URL"));
    let replay = operations.replay_provision(&input).await.unwrap();
    assert_eq!((&replay.id, &replay.config), (&first.id, &first.config));
    let again = operations.provision_input(&input).await.unwrap_err();
    assert!(
        matches!(again, OpError::Status { status: 200, .. }),
        "{again}"
    );
    let fresh = operations.fresh_input("free", BTreeMap::new()).unwrap();
    let not_a_replay = operations.replay_provision(&fresh).await.unwrap_err();
    assert!(
        not_a_replay
            .to_string()
            .starts_with("replayed provision: expected 200, got 201"),
        "{not_a_replay}"
    );
    for app in [&first.id, &fresh.app_slug] {
        operations.deprovision(app).await.unwrap();
    }
    assert!(running.live_resources().is_empty());
    running.shutdown().await;
}
