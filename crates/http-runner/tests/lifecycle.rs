//! `lifecycle.model` proven both ways: the reference add-on agrees with the model over hundreds
//! of generated sequences on every platform it serves, and each fault that only a sequence
//! reveals is caught and shrunk to a handful of steps, which `replay` reproduces against the
//! faulty provider and finds fixed against the correct one.

use std::time::Instant;

use heroku_adapter::Heroku;
use http_runner::{ReplayOptions, ReplayVerdict, Reproduction, RunOptions, replay, run_suite};
use manifest_core::report::Status;
use manifest_core::{CheckResult, Dialect, Platform, Report, Source};
use reference_addon::{Fault, Mode, ReferenceAddon};
use scalingo_adapter::Scalingo;

const CHECK: &str = "lifecycle.model";

fn dialect(platform: Platform) -> &'static dyn Dialect {
    dialects::find(platform).expect("a registered platform")
}

fn load(platform: Platform, manifest: &str) -> manifest_core::Manifest {
    dialect(platform)
        .load_manifest(Source::new(
            dialect(platform).default_manifest_file(),
            manifest.to_string(),
        ))
        .expect("the reference manifest loads")
}

/// Runs `lifecycle.model` alone (with the provisioning it needs) against the reference add-on
/// with `faults`.
async fn model_run(
    platform: Platform,
    faults: &[Fault],
    cases: u32,
    seed: u64,
) -> (Report, Vec<String>) {
    let addon = ReferenceAddon::new(platform).faults(faults.iter().copied());
    model_run_against(platform, addon, cases, seed).await
}

async fn model_run_against(
    platform: Platform,
    addon: ReferenceAddon,
    cases: u32,
    seed: u64,
) -> (Report, Vec<String>) {
    let addon = addon.start().await.expect("the reference add-on starts");
    let options = RunOptions {
        seed,
        cases,
        only: vec![CHECK.into()],
        ..RunOptions::default()
    };
    let manifest = load(platform, &addon.manifest_json());
    let report = run_suite(dialect(platform), manifest, options, std::future::pending())
        .await
        .expect("the run starts");
    let live = addon.live_resources();
    addon.shutdown().await;
    (report, live)
}

fn model(report: &Report) -> &CheckResult {
    report
        .check(CHECK)
        .expect("lifecycle.model is in the report")
}

fn reproduction(check: &CheckResult) -> Reproduction {
    let value = check
        .reproduction
        .clone()
        .unwrap_or_else(|| panic!("a failure carries its reproduction: {}", check.message));
    serde_json::from_value(value).expect("the reproduction reads back")
}

/// Sixteen cases: 512 sequences, as many at once as the default concurrency allows.
async fn the_correct_provider_agrees_over_500_sequences(platform: Platform) {
    let started = Instant::now();
    let (report, live) = model_run(platform, &[], 16, 41).await;
    let elapsed = started.elapsed();
    let check = model(&report);
    assert_eq!(check.status, Status::Pass, "{}", check.message);
    assert!(
        check.message.starts_with("512 generated sequences"),
        "{}",
        check.message
    );
    assert!(check.reproduction.is_none());
    assert!(live.is_empty(), "left behind: {live:?}");
    assert!(report.leftovers.is_empty());
    eprintln!("{platform}: {} in {elapsed:?}", check.message);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_correct_heroku_provider_agrees_over_500_sequences() {
    the_correct_provider_agrees_over_500_sequences(heroku_adapter::PLATFORM).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_correct_scalingo_provider_agrees_over_500_sequences() {
    the_correct_provider_agrees_over_500_sequences(scalingo_adapter::PLATFORM).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_correct_bitrise_provider_agrees_over_500_sequences() {
    the_correct_provider_agrees_over_500_sequences(bitrise_adapter::PLATFORM).await;
}

/// The correct but unusual designs a replay or a refusal may follow: the model accepts each.
#[tokio::test(flavor = "multi_thread")]
async fn cached_and_current_state_replays_and_redirect_refusals_agree_with_the_model() {
    let designs = [
        (heroku_adapter::PLATFORM, Mode::CachedReplay),
        (scalingo_adapter::PLATFORM, Mode::CachedReplay),
        (heroku_adapter::PLATFORM, Mode::CurrentStateReplay),
        (scalingo_adapter::PLATFORM, Mode::CurrentStateReplay),
        (scalingo_adapter::PLATFORM, Mode::RedirectRefusal),
    ];
    let mut runs = tokio::task::JoinSet::new();
    for (platform, mode) in designs {
        runs.spawn(async move {
            let addon = ReferenceAddon::new(platform).mode(mode);
            (
                platform,
                mode,
                model_run_against(platform, addon, 4, 7).await,
            )
        });
    }
    let mut problems = Vec::new();
    while let Some(joined) = runs.join_next().await {
        let (platform, mode, (report, live)) = joined.expect("the run does not panic");
        let check = model(&report);
        if check.status != Status::Pass || !live.is_empty() {
            problems.push(format!(
                "{platform} {mode}: {}; left {live:?}",
                check.message
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Faults a generated sequence must reveal, each with a word its shortest sequence's failing
/// step must mention.
const SEQUENCE_FAULTS: [(Fault, &str); 4] = [
    (Fault::ForgetsPlanAfterReplay, "must not undo what happened"),
    (Fault::SsoAcceptsPreviousResource, "must be refused"),
    (Fault::DeprovisionKeepsResource, "was deprovisioned in step"),
    (Fault::RacyReplay, "identical provisions sent at once made"),
];

#[tokio::test(flavor = "multi_thread")]
async fn every_sequence_fault_is_caught_and_shrunk_to_at_most_four_steps() {
    let mut runs = tokio::task::JoinSet::new();
    for platform in [heroku_adapter::PLATFORM, scalingo_adapter::PLATFORM] {
        for (fault, reason) in SEQUENCE_FAULTS {
            runs.spawn(async move {
                let started = Instant::now();
                let (report, _) = model_run(platform, &[fault], 2, 7).await;
                (platform, fault, reason, report, started.elapsed())
            });
        }
    }
    let mut problems = Vec::new();
    while let Some(joined) = runs.join_next().await {
        let (platform, fault, reason, report, elapsed) = joined.expect("the run does not panic");
        let check = model(&report);
        eprintln!("{platform} {fault} ({elapsed:?}):\n{}\n", check.message);
        if check.status != Status::Fail {
            problems.push(format!(
                "{platform} {fault}: {:?}: {}",
                check.status, check.message
            ));
            continue;
        }
        let reproduction = reproduction(check);
        if reproduction.steps.is_empty() || reproduction.steps.len() > 4 {
            problems.push(format!(
                "{platform} {fault}: shrunk to {} steps: {}",
                reproduction.steps.len(),
                check.message
            ));
        }
        if !check.message.contains(reason) || !check.message.contains("seed 7") {
            problems.push(format!("{platform} {fault}: {}", check.message));
        }
        if reproduction.platform != platform || reproduction.seed != 7 {
            problems.push(format!("{platform} {fault}: {reproduction:?}"));
        }
        if !check.exchanges.iter().all(|e| e.curl.starts_with("curl "))
            || check.exchanges.is_empty()
        {
            problems.push(format!("{platform} {fault}: no curl evidence"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_saved_failure_replays_against_the_faulty_provider_and_is_fixed_by_the_correct_one() {
    let (report, _) = model_run(
        scalingo_adapter::PLATFORM,
        &[Fault::ForgetsPlanAfterReplay],
        2,
        7,
    )
    .await;
    let saved = reproduction(model(&report));

    let faulty = ReferenceAddon::new(scalingo_adapter::PLATFORM)
        .fault(Fault::ForgetsPlanAfterReplay)
        .start()
        .await
        .unwrap();
    let replayed = replay(
        &Scalingo,
        load(scalingo_adapter::PLATFORM, &faulty.manifest_json()),
        &saved,
        ReplayOptions::default(),
        std::future::pending(),
    )
    .await
    .unwrap();
    assert_eq!(
        replayed.verdict,
        ReplayVerdict::StillFailing,
        "{}",
        replayed.transcript
    );
    assert_eq!(
        replayed
            .transcript
            .lines()
            .filter(|line| !line.starts_with(' '))
            .count(),
        saved.steps.len()
    );
    assert!(replayed.leftovers.is_empty());
    assert!(faulty.live_resources().is_empty());
    faulty.shutdown().await;

    let correct = ReferenceAddon::new(scalingo_adapter::PLATFORM)
        .start()
        .await
        .unwrap();
    let replayed = replay(
        &Scalingo,
        load(scalingo_adapter::PLATFORM, &correct.manifest_json()),
        &saved,
        ReplayOptions::default(),
        std::future::pending(),
    )
    .await
    .unwrap();
    assert_eq!(
        replayed.verdict,
        ReplayVerdict::Fixed,
        "{}",
        replayed.transcript
    );
    assert!(correct.live_resources().is_empty());
    correct.shutdown().await;

    let error = replay(
        &Heroku,
        load(
            heroku_adapter::PLATFORM,
            &ReferenceAddon::new(heroku_adapter::PLATFORM)
                .start()
                .await
                .unwrap()
                .manifest_json(),
        ),
        &saved,
        ReplayOptions::default(),
        std::future::pending(),
    )
    .await
    .unwrap_err();
    assert!(
        error.to_string().contains("recorded against scalingo"),
        "{error}"
    );
}

/// A Heroku provider that creates a resource for every new uuid but names it only when the
/// provision is replayed: its first answer is a success without an id. Only the very first
/// resource (the suite's own, which generated sequences need) is named at once.
#[derive(Default, Clone)]
struct NamesOnReplay {
    /// Uuid → whether its resource was deprovisioned.
    created: std::sync::Arc<std::sync::Mutex<std::collections::BTreeMap<String, bool>>>,
}

impl wiremock::Respond for NamesOnReplay {
    fn respond(&self, request: &wiremock::Request) -> wiremock::ResponseTemplate {
        use wiremock::ResponseTemplate;
        let mut created = self.created.lock().unwrap();
        let path = request.url.path();
        match request.method.as_str() {
            "POST" if path == "/heroku/resources" => {
                let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
                let uuid = body["uuid"].as_str().unwrap_or_default().to_string();
                let answer = if created.is_empty() || created.contains_key(&uuid) {
                    created.entry(uuid.clone()).or_insert(false);
                    serde_json::json!({"id": format!("r-{uuid}"), "config": {}})
                } else {
                    created.insert(uuid, false);
                    serde_json::json!({"config": {}})
                };
                ResponseTemplate::new(200).set_body_json(answer)
            }
            "DELETE" => match path.strip_prefix("/heroku/resources/r-") {
                Some(uuid) if created.get(uuid) == Some(&false) => {
                    created.insert(uuid.to_string(), true);
                    ResponseTemplate::new(204)
                }
                _ => ResponseTemplate::new(404),
            },
            _ => ResponseTemplate::new(404),
        }
    }
}

/// A generated provision answered with a success that names nothing may still have created
/// something: its ledger entry stays pending, and the run's cleanup replays it, learns the id
/// and deprovisions it.
#[tokio::test(flavor = "multi_thread")]
async fn a_success_that_names_nothing_is_replayed_and_deprovisioned_by_the_cleanup() {
    let provider = NamesOnReplay::default();
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(provider.clone())
        .mount(&server)
        .await;
    let base = server.uri();
    let manifest = serde_json::json!({
        "id": "names-on-replay",
        "api": {
            "config_vars": [],
            "password": "names-on-replay-password",
            "sso_salt": "names-on-replay-salt",
            "regions": ["us"],
            "production": {"base_url": "https://names.example/heroku/resources", "sso_url": "https://names.example/sso"},
            "test": {"base_url": format!("{base}/heroku/resources"), "sso_url": format!("{base}/sso")}
        }
    })
    .to_string();
    let options = RunOptions {
        seed: 3,
        cases: 1,
        only: vec![CHECK.into()],
        ..RunOptions::default()
    };
    let report = run_suite(
        &Heroku,
        load(heroku_adapter::PLATFORM, &manifest),
        options,
        std::future::pending(),
    )
    .await
    .expect("the run starts");
    assert_eq!(model(&report).status, Status::Fail);
    let created = provider.created.lock().unwrap();
    assert!(!created.is_empty());
    let kept: Vec<&String> = created
        .iter()
        .filter(|(_, deleted)| !**deleted)
        .map(|(uuid, _)| uuid)
        .collect();
    assert!(kept.is_empty(), "never deprovisioned: {kept:?}");
    assert!(report.leftovers.is_empty(), "{:?}", report.leftovers);
}
