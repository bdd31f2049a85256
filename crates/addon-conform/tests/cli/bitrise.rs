//! Bitrise from the command line: `addon-conform` with `config.yaml`, and
//! `bitrise-addon-conform` with the official tester's commands, against the Bitrise reference
//! add-on.

use std::fs;
use std::path::Path;

use bitrise_adapter::Bitrise;
use http_runner::Ledger;
use manifest_core::catalog::for_dialect;
use manifest_core::report::Status;
use manifest_core::{Dialect, Report, Source};
use reference_addon::{Fault, ReferenceAddon, RunningAddon};

use crate::harness::{Run, addon_conform, addon_conform_async, bitrise_addon_conform_async};

/// The shared token and the SSO secret of a config.
fn secrets(config: &str) -> [String; 2] {
    let manifest = Bitrise
        .load_manifest(Source::new("config.yaml", config))
        .unwrap();
    [
        manifest.credentials.secret().expose().to_owned(),
        manifest.sso_salt.unwrap().expose().to_owned(),
    ]
}

#[track_caller]
fn assert_no_secret(run: &Run, config: &str) {
    for secret in secrets(config) {
        assert!(!run.all_output().contains(&secret), "a secret was printed");
    }
}

#[test]
fn init_writes_a_yaml_config_that_passes_its_own_rules() {
    let dir = tempfile::tempdir().unwrap();
    let run = addon_conform(dir.path(), &["init", "--platform", "bitrise"]);
    run.expect_code(0);
    assert!(run.stdout.contains("config.yaml"), "{}", run.stdout);
    let config = fs::read_to_string(dir.path().join("config.yaml")).unwrap();
    assert!(
        config.contains("addon-url: http://localhost:4567\n"),
        "{config}"
    );
    let [token, secret] = secrets(&config);
    for value in [&token, &secret] {
        assert_eq!(value.len(), 32);
        assert!(value.chars().all(|c| c.is_ascii_hexdigit()));
    }
    assert_ne!(token, secret);
    assert_no_secret(&run, &config);

    // Recognised from the default file name alone, and from its content under another name.
    let check = addon_conform(dir.path(), &["manifest", "check"]);
    check.expect_code(0);
    assert!(
        check
            .stdout
            .ends_with("config.yaml: bitrise manifest, no problems found\n"),
        "{}",
        check.stdout
    );
    fs::rename(dir.path().join("config.yaml"), dir.path().join("addon.yml")).unwrap();
    let check = addon_conform(
        dir.path(),
        &["manifest", "check", "--manifest", "addon.yml"],
    );
    check.expect_code(0);
    assert!(
        check.stdout.contains("bitrise manifest"),
        "{}",
        check.stdout
    );
    assert_no_secret(&check, &config);
}

#[test]
fn a_yaml_file_of_another_name_gets_yaml_diagnostics() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("addon.yml"),
        "addon-url: [http://localhost\n",
    )
    .unwrap();
    let run = addon_conform(
        dir.path(),
        &["manifest", "check", "--manifest", "addon.yml"],
    );
    run.expect_code(2);
    assert!(
        run.stdout
            .contains("addon.yml:2:1: error[manifest.parse]: invalid YAML"),
        "{}",
        run.stdout
    );
}

#[test]
fn config_problems_point_at_their_line() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("config.yaml"),
        "addon-url: http://addon.example\nauth-token: 0123\nsso_secret: s3cret-value\n",
    )
    .unwrap();
    let run = addon_conform(dir.path(), &["manifest", "check", "--color", "never"]);
    run.expect_code(1);
    for expected in [
        "config.yaml:1:12: error[manifest.urls.https]",
        "config.yaml:2:13: error[manifest.credentials]: `auth-token` is a number, not a string",
        "config.yaml:3:1: error[manifest.sso-salt]: `sso-secret` is missing; \"sso_secret\" looks \
         like a misspelling",
    ] {
        assert!(run.stdout.contains(expected), "{expected}\n{}", run.stdout);
    }
    assert!(!run.all_output().contains("s3cret-value"));
}

/// A Bitrise reference add-on with its config written to `config.yaml` in a fresh directory.
async fn serve(addon: ReferenceAddon) -> (RunningAddon, tempfile::TempDir, String) {
    let running = addon.start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = running.manifest_json();
    fs::write(dir.path().join("config.yaml"), &config).unwrap();
    (running, dir, config)
}

fn report_of(run: &Run) -> Report {
    serde_json::from_str(&run.stdout).unwrap_or_else(|error| {
        panic!("not a report ({error}): {run:#?}");
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn addon_conform_tests_a_bitrise_addon() {
    let (running, dir, config) = serve(ReferenceAddon::new(bitrise_adapter::PLATFORM)).await;
    let run = addon_conform_async(dir.path(), &["test", "--format", "json", "--seed", "7"]).await;
    assert_no_secret(&run, &config);
    let report = report_of(&run);
    assert_eq!(run.code, 0, "{report:#?}");
    assert_eq!(report.platform, bitrise_adapter::PLATFORM);
    let ids: Vec<&str> = report
        .checks
        .iter()
        .map(|check| check.id.as_str())
        .collect();
    let catalog: Vec<&str> = for_dialect(&bitrise_adapter::Bitrise)
        .map(|check| check.id)
        .collect();
    assert_eq!(ids, catalog);
    assert!(running.live_resources().is_empty());
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_without_beam_fails_the_html_check() {
    let addon = ReferenceAddon::new(bitrise_adapter::PLATFORM).fault(Fault::LoginWithoutBeam);
    let (running, dir, _) = serve(addon).await;
    let run = addon_conform_async(
        dir.path(),
        &[
            "test",
            "--platform",
            "bitrise",
            "--only",
            "sso.*",
            "--format",
            "json",
        ],
    )
    .await;
    assert_eq!(run.code, 1);
    let check = report_of(&run).check("sso.html").cloned().unwrap();
    assert_eq!(check.status, Status::Fail);
    assert!(
        check.message.contains("`@bitrise/beam`"),
        "{}",
        check.message
    );
    running.shutdown().await;
}

/// Runs `bitrise-addon-conform ARGS` with a ledger in `dir`.
async fn tester(dir: &Path, args: &[&str]) -> Run {
    let ledger = dir.join("ledger.sqlite3").display().to_string();
    let mut all = args.to_vec();
    all.extend(["--ledger", ledger.as_str()]);
    bitrise_addon_conform_async(dir, &all).await
}

#[tokio::test(flavor = "multi_thread")]
async fn the_comprehensive_run_is_the_whole_suite() {
    let (running, dir, config) = serve(ReferenceAddon::new(bitrise_adapter::PLATFORM)).await;
    let run = tester(
        dir.path(),
        &["--format", "json", "--app-slug", "ignored", "--seed", "7"],
    )
    .await;
    assert_no_secret(&run, &config);
    let report = report_of(&run);
    assert_eq!(run.code, 0, "{report:#?}");
    assert_eq!(report.summary.failed, 0);
    assert_eq!(
        report.check("provision.idempotent").unwrap().status,
        Status::Pass
    );
    assert!(
        run.stderr.contains("note: --app-slug is not used here"),
        "{}",
        run.stderr
    );
    assert!(running.live_resources().is_empty());

    let human = tester(dir.path(), &["--color", "never"]).await;
    human.expect_code(0);
    assert_no_secret(&human, &config);
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn provision_change_plan_login_and_deprovision_with_retries() {
    let (running, dir, config) = serve(ReferenceAddon::new(bitrise_adapter::PLATFORM)).await;
    let app = ["--app-slug", "5f3c1e9a2b7d4c60"];

    let provision = tester(
        dir.path(),
        &[
            "provision",
            "-r",
            app[0],
            app[1],
            "--app-title",
            "My App ✓",
            "--api-token",
            "public-token",
            "--format",
            "json",
        ],
    )
    .await;
    provision.expect_code(0);
    assert_no_secret(&provision, &config);
    let answer: serde_json::Value = serde_json::from_str(&provision.stdout).unwrap();
    assert_eq!(answer["app_slug"], "5f3c1e9a2b7d4c60");
    assert_eq!(answer["plan"], "free");
    assert_eq!(answer["sent"], 3);
    assert!(answer["envs"]["REFERENCE_DB_URL"].is_string());
    assert_eq!(running.live_resources().len(), 1);
    let ledger = Ledger::open(dir.path().join("ledger.sqlite3")).unwrap();
    let entries = ledger.entries().unwrap();
    assert_eq!(entries.len(), 1, "the repeats are not new resources");
    assert_eq!(entries[0].input.app_name, "My App ✓");
    assert!(
        entries[0].input.api_token.is_empty(),
        "the API token is not stored"
    );

    let change = tester(
        dir.path(),
        &[
            "change-plan",
            "-r",
            app[0],
            app[1],
            "--plan-change-to",
            "developer",
        ],
    )
    .await;
    change.expect_code(0);
    assert_eq!(change.stdout.trim(), "→ OK");

    let login = tester(
        dir.path(),
        &[
            "login",
            app[0],
            app[1],
            "--build-slug",
            "b1",
            "--format",
            "json",
        ],
    )
    .await;
    assert_no_secret(&login, &config);
    let report = report_of(&login);
    assert_eq!(login.code, 0, "{report:#?}");
    for id in [
        "sso.login",
        "sso.rejects-bad-token",
        "sso.rejects-stale-timestamp",
        "sso.token-kinds",
        "sso.html",
    ] {
        assert_eq!(report.check(id).unwrap().status, Status::Pass, "{id}");
    }
    assert_eq!(
        report.check("provision.status").unwrap().status,
        Status::Skip
    );

    let deprovision = tester(dir.path(), &["deprovision", "-r", app[0], app[1]]).await;
    deprovision.expect_code(0);
    assert_eq!(deprovision.stdout.trim(), "→ OK");
    assert!(running.live_resources().is_empty());
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_testers_own_mistakes_fail_here() {
    let (running, dir, _) =
        serve(ReferenceAddon::new(bitrise_adapter::PLATFORM).fault(Fault::CreatedOnEveryRepeat))
            .await;
    let run = tester(dir.path(), &["provision", "-r"]).await;
    run.expect_code(1);
    assert!(
        run.stderr
            .contains("replayed provision: expected 200, got 201"),
        "{}",
        run.stderr
    );
    running.shutdown().await;

    let (running, dir, _) =
        serve(ReferenceAddon::new(bitrise_adapter::PLATFORM).fault(Fault::RepeatDelete404)).await;
    let slug = ["--app-slug", "app-404"];
    tester(dir.path(), &["provision", slug[0], slug[1]])
        .await
        .expect_code(0);
    let run = tester(dir.path(), &["deprovision", "-r", slug[0], slug[1]]).await;
    run.expect_code(1);
    assert!(
        run.stderr
            .contains("repeat 1 was answered 404; Bitrise expects a 2xx"),
        "{}",
        run.stderr
    );
    running.shutdown().await;

    // A login that lets any token in is refused here; the tester only ever sent valid ones.
    let (running, dir, _) =
        serve(ReferenceAddon::new(bitrise_adapter::PLATFORM).fault(Fault::SsoAcceptsAnyToken))
            .await;
    let run = tester(dir.path(), &["login", "--format", "json"]).await;
    run.expect_code(1);
    let check = report_of(&run)
        .check("sso.rejects-bad-token")
        .cloned()
        .unwrap();
    assert_eq!(check.status, Status::Fail);
    assert!(running.live_resources().is_empty());
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn commands_on_an_existing_app_need_its_slug() {
    let (running, dir, _) = serve(ReferenceAddon::new(bitrise_adapter::PLATFORM)).await;
    for command in ["change-plan", "deprovision"] {
        let run = tester(dir.path(), &[command]).await;
        run.expect_code(2);
        assert!(run.stderr.contains("needs --app-slug"), "{}", run.stderr);
    }
    let run = tester(dir.path(), &["provision", "--format", "junit"]).await;
    run.expect_code(2);
    assert_eq!(running.requests_seen(), 0);
    running.shutdown().await;
}
