//! Every problem in one run: a provider broken in several ways at once has each fault reported,
//! no check is skipped because another one failed unless it really needs what failed, and
//! nothing the run created stays on the provider or outstanding in the ledger.

use heroku_adapter::Heroku;
use http_runner::{Ledger, RunOptions, run_suite};
use manifest_core::report::{CheckResult, Status};
use manifest_core::{Dialect, Report, Source};
use reference_addon::{Fault, Mode, ReferenceAddon};
use scalingo_adapter::Scalingo;

struct Outcome {
    report: Report,
    /// What the reference add-on itself still holds after the run.
    live: Vec<String>,
    /// What the run's ledger still holds as outstanding.
    outstanding: usize,
}

async fn run(dialect: &dyn Dialect, addon: ReferenceAddon, mut options: RunOptions) -> Outcome {
    let running = addon.start().await.expect("reference add-on starts");
    let manifest = dialect
        .load_manifest(Source::new("reference.json", running.manifest_json()))
        .expect("the reference manifest loads");
    let ledger = Ledger::in_memory().expect("ledger");
    options.ledger = Some(ledger.clone());
    let report = run_suite(dialect, manifest, options, std::future::pending())
        .await
        .expect("the run starts");
    let live = running.live_resources();
    running.shutdown().await;
    Outcome {
        report,
        live,
        outstanding: ledger.entries().expect("ledger entries").len(),
    }
}

fn options() -> RunOptions {
    RunOptions {
        seed: 11,
        cases: 1,
        legacy_sso: true,
        skip: vec!["lifecycle.model".into()],
        ..RunOptions::default()
    }
}

fn check<'r>(report: &'r Report, id: &str) -> &'r CheckResult {
    report
        .checks
        .iter()
        .find(|check| check.id == id)
        .unwrap_or_else(|| panic!("{id} is in the report"))
}

/// Skips that blame another check ("no resource id: provision.id failed"), or no reason.
fn cascaded_skips(report: &Report) -> Vec<String> {
    report
        .checks
        .iter()
        .filter(|check| check.status == Status::Skip)
        .filter(|check| check.message.contains("failed") || check.message.starts_with("not run"))
        .map(|check| format!("{}: {}", check.id, check.message))
        .collect()
}

#[tokio::test]
async fn a_numeric_id_and_endpoints_that_ignore_credentials_are_each_reported() {
    let addon = ReferenceAddon::new(heroku_adapter::PLATFORM)
        .mode(Mode::NumericIds)
        .faults([
            Fault::AcceptsWrongPassword,
            Fault::PlanChangeSkipsAuth,
            Fault::DeprovisionSkipsAuth,
        ]);
    let outcome = run(&Heroku, addon, options()).await;
    let report = &outcome.report;
    for id in ["provision.auth", "plan-change.auth", "deprovision.auth"] {
        assert_eq!(check(report, id).status, Status::Fail, "{id}");
    }
    let id = check(report, "provision.id");
    assert_eq!(id.status, Status::Warn, "{}", id.message);
    assert!(id.message.contains("number"), "{}", id.message);
    // The numeric id was used: every check that needs the resource ran.
    for ran in [
        "provision.idempotent",
        "provision.distinct",
        "sso.login",
        "sso.rejects-bad-token",
        "sso.rejects-other-resource",
        "plan-change.status",
        "plan-change.unknown-plan",
        "deprovision.repeat",
        "deprovision.effective",
    ] {
        assert_eq!(
            check(report, ran).status,
            Status::Pass,
            "{ran}: {}",
            check(report, ran).message
        );
    }
    assert_eq!(cascaded_skips(report), Vec::<String>::new());
    assert_eq!(
        outcome.live,
        Vec::<String>::new(),
        "the provider still holds them"
    );
    assert!(report.leftovers.is_empty(), "{:?}", report.leftovers);
    assert_eq!(outcome.outstanding, 0, "the ledger still lists them");
}

#[tokio::test]
async fn a_provision_that_fails_still_leaves_credential_probes_to_run() {
    let addon = ReferenceAddon::new(heroku_adapter::PLATFORM)
        .faults([Fault::ProvisionFails, Fault::PlanChangeSkipsAuth]);
    let outcome = run(&Heroku, addon, options()).await;
    let report = &outcome.report;
    assert_eq!(check(report, "provision.status").status, Status::Fail);
    assert_eq!(check(report, "provision.auth").status, Status::Pass);
    assert_eq!(check(report, "deprovision.auth").status, Status::Pass);
    // Wrong credentials on a made-up id must be refused before any lookup.
    let plan_change_auth = check(report, "plan-change.auth");
    assert_eq!(
        plan_change_auth.status,
        Status::Fail,
        "{}",
        plan_change_auth.message
    );
    assert_eq!(
        check(report, "plan-change.unknown-resource").status,
        Status::Pass
    );
    let sso = check(report, "sso.login");
    assert_eq!(sso.status, Status::Skip);
    assert_eq!(sso.message, "no resource id: provision.status failed");
    assert_eq!(outcome.live, Vec::<String>::new());
    assert_eq!(outcome.outstanding, 0, "the ledger still lists them");
}

#[tokio::test]
async fn refusal_checks_are_skipped_when_no_valid_login_works() {
    let addon = ReferenceAddon::new(heroku_adapter::PLATFORM).fault(Fault::SsoRefusesValidLogins);
    let outcome = run(&Heroku, addon, options()).await;
    let report = &outcome.report;
    assert_eq!(check(report, "sso.login").status, Status::Fail);
    for id in [
        "sso.rejects-bad-token",
        "sso.rejects-stale-timestamp",
        "sso.rejects-future-timestamp",
        "sso.rejects-other-resource",
    ] {
        let refusal = check(report, id);
        assert_eq!(refusal.status, Status::Skip, "{id}");
        assert_eq!(
            refusal.message, "no working login: sso.login failed",
            "{id}"
        );
    }
    assert_eq!(outcome.live, Vec::<String>::new());
}

/// On Scalingo a redirect that opens no session is a refusal too: a valid login sent away like
/// that is no working login, and the refusal checks are skipped, not passed.
#[tokio::test]
async fn a_valid_login_refused_by_redirect_leaves_the_refusal_checks_skipped() {
    let addon = ReferenceAddon::new(scalingo_adapter::PLATFORM)
        .mode(Mode::RedirectRefusal)
        .fault(Fault::SsoRefusesValidLogins);
    let outcome = run(&Scalingo, addon, options()).await;
    let report = &outcome.report;
    let login = check(report, "sso.login");
    assert_eq!(login.status, Status::Fail);
    assert!(
        login.message.contains("without opening a session"),
        "{}",
        login.message
    );
    for id in [
        "sso.rejects-bad-token",
        "sso.rejects-stale-timestamp",
        "sso.rejects-future-timestamp",
        "sso.rejects-other-resource",
    ] {
        let refusal = check(report, id);
        assert_eq!(refusal.status, Status::Skip, "{id}");
        assert_eq!(
            refusal.message, "no working login: sso.login failed",
            "{id}"
        );
    }
    assert_eq!(outcome.live, Vec::<String>::new());
}

#[tokio::test]
async fn only_manifest_checks_send_nothing() {
    let running = ReferenceAddon::new(heroku_adapter::PLATFORM)
        .start()
        .await
        .expect("reference add-on starts");
    let manifest = Heroku
        .load_manifest(Source::new("reference.json", running.manifest_json()))
        .expect("the reference manifest loads");
    let options = RunOptions {
        only: vec!["manifest.*".into()],
        ..options()
    };
    let report = run_suite(&Heroku, manifest, options, std::future::pending())
        .await
        .expect("the run starts");
    assert_eq!(running.requests_seen(), 0);
    assert!(
        report
            .checks
            .iter()
            .filter(|check| check.id.starts_with("manifest."))
            .all(|check| check.status == Status::Pass)
    );
    running.shutdown().await;
}

#[tokio::test]
async fn a_failure_shows_the_request_it_was_judged_on_last() {
    let addon = ReferenceAddon::new(heroku_adapter::PLATFORM)
        .faults([Fault::SsoAcceptsAnyToken, Fault::AcceptsWrongPassword]);
    let outcome = run(&Heroku, addon, options()).await;
    let report = &outcome.report;
    // The forged login was let in and led to the dashboard; what broke the rule is the login.
    let forged = check(report, "sso.rejects-bad-token");
    assert_eq!(forged.status, Status::Fail);
    let judged = forged.exchanges.last().expect("evidence");
    assert_eq!(judged.request.method, "POST", "{}", judged.curl);
    assert!(
        judged.request.url.ends_with("/heroku/sso"),
        "{}",
        judged.curl
    );
    // Of all the credential probes, the one that was accepted.
    let auth = check(report, "provision.auth");
    assert_eq!(auth.status, Status::Fail);
    let judged = auth.exchanges.last().expect("evidence");
    let wrong_password = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        "reference-db:conform-wrong-password",
    );
    assert!(judged.curl.contains(&wrong_password), "{}", judged.curl);
    assert!(
        judged.response.as_ref().is_some_and(|r| r.status != 401),
        "{judged:?}"
    );
    assert_eq!(outcome.live, Vec::<String>::new());
}
