//! Single operations and ledger cleanup against the reference add-on: what they create is
//! recorded before it exists, and whatever the ledger still holds can be removed later from the
//! ledger alone.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use heroku_adapter::Heroku;
use http_runner::{
    Deprovisioned, EntryState, Ledger, OpError, Operations, OperationsOptions, RunOptions, Scope,
    cleanup_leftovers, run_suite,
};
use manifest_core::{Dialect, Environment, Manifest, Platform, Source};
use reference_addon::{Fault, ReferenceAddon, RunningAddon};

struct Setup {
    addon: RunningAddon,
    manifest_path: PathBuf,
    ledger: Ledger,
    _dir: tempfile::TempDir,
}

async fn setup(addon: ReferenceAddon) -> Setup {
    let addon = addon.start().await.expect("reference add-on starts");
    let dir = tempfile::tempdir().unwrap();
    let manifest_path = dir.path().join("addon-manifest.json");
    std::fs::write(&manifest_path, addon.manifest_json()).unwrap();
    let ledger = Ledger::open(dir.path().join("ledger.sqlite3")).unwrap();
    Setup {
        addon,
        manifest_path,
        ledger,
        _dir: dir,
    }
}

fn manifest(path: &Path) -> Manifest {
    Heroku
        .load_manifest(Source::new(
            path.display().to_string(),
            std::fs::read_to_string(path).unwrap(),
        ))
        .unwrap()
}

fn operations<'a>(setup: &Setup) -> Operations<'a> {
    Operations::new(
        &Heroku,
        manifest(&setup.manifest_path),
        OperationsOptions {
            manifest_path: Some(setup.manifest_path.clone()),
            ..OperationsOptions::default()
        },
        setup.ledger.clone(),
    )
    .unwrap()
}

fn heroku(platform: Platform) -> Option<&'static dyn Dialect> {
    (platform == heroku_adapter::PLATFORM).then_some(&Heroku as &dyn Dialect)
}

#[tokio::test]
async fn provision_plan_change_and_deprovision_are_recorded() {
    let setup = setup(ReferenceAddon::new(heroku_adapter::PLATFORM)).await;
    let operations = operations(&setup);
    let plan = operations.default_plan();
    let resource = operations.provision(&plan, BTreeMap::new()).await.unwrap();
    assert_eq!(
        setup.addon.live_resources(),
        std::slice::from_ref(&resource.id)
    );
    assert!(resource.config.contains_key("REFERENCE_DB_URL"));

    let entries = setup.ledger.entries().unwrap();
    assert_eq!(entries.len(), 1);
    let entry = &entries[0];
    assert_eq!(entry.state, EntryState::Live);
    assert_eq!(entry.resource_id.as_deref(), Some(resource.id.as_str()));
    assert_eq!(entry.uuid, resource.input.uuid);
    assert_eq!(
        entry.manifest_path.as_deref(),
        Some(setup.manifest_path.as_path())
    );
    assert_eq!(&entry.target, operations.target());

    let other = operations.other_plan(&plan);
    let changed = operations.change_plan(&resource.id, &other).await.unwrap();
    assert_eq!(changed.plan, other);
    assert_eq!(setup.ledger.entries().unwrap()[0].plan, other);

    assert_eq!(
        operations.deprovision(&resource.id).await.unwrap(),
        Deprovisioned::Now
    );
    assert_eq!(setup.addon.live_resources(), Vec::<String>::new());
    assert_eq!(setup.ledger.entries().unwrap(), Vec::new());
    assert_eq!(
        setup.ledger.entry(entry.id).unwrap().unwrap().state,
        EntryState::Deprovisioned
    );
    assert_eq!(
        operations.deprovision(&resource.id).await.unwrap(),
        Deprovisioned::AlreadyGone(410)
    );
    setup.addon.shutdown().await;
}

#[tokio::test]
async fn a_failed_provision_stays_pending_until_a_replay_shows_nothing_exists() {
    let setup =
        setup(ReferenceAddon::new(heroku_adapter::PLATFORM).fault(Fault::ProvisionFails)).await;
    let operations = operations(&setup);
    let error = operations
        .provision(&operations.default_plan(), BTreeMap::new())
        .await
        .unwrap_err();
    assert!(
        matches!(error, OpError::Status { status: 500, .. }),
        "{error}"
    );
    let manifest: serde_json::Value = serde_json::from_str(&setup.addon.manifest_json()).unwrap();
    let password = manifest["api"]["password"].as_str().unwrap();
    assert!(!error.to_string().contains(password));
    // A 500 may come after the resource was made: only the provider asked again can tell.
    let entries = setup.ledger.entries().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].state, EntryState::Pending);
    let heroku = |_| Some(&Heroku as &'static dyn Dialect);
    let outcomes = cleanup_leftovers(&setup.ledger, &heroku, None, &|_, _| {})
        .await
        .unwrap();
    assert!(
        outcomes.iter().all(|(_, outcome)| outcome.is_ok()),
        "{outcomes:?}"
    );
    assert_eq!(setup.ledger.entries().unwrap(), Vec::new());
    assert_eq!(
        setup.ledger.entry(entries[0].id).unwrap().unwrap().state,
        EntryState::Failed
    );
    setup.addon.shutdown().await;
}

#[tokio::test]
async fn a_provision_that_never_reached_the_provider_is_closed_as_unsent() {
    let setup = setup(ReferenceAddon::new(heroku_adapter::PLATFORM)).await;
    let manifest = manifest(&setup.manifest_path);
    setup.addon.shutdown().await;
    let operations = Operations::new(
        &Heroku,
        manifest,
        OperationsOptions::default(),
        setup.ledger.clone(),
    )
    .unwrap();
    let error = operations
        .provision(&operations.default_plan(), BTreeMap::new())
        .await
        .unwrap_err();
    assert!(error.is_unreachable(), "{error}");
    assert_eq!(
        setup.ledger.entries().unwrap(),
        Vec::new(),
        "nothing outstanding"
    );
}

#[tokio::test]
async fn cleanup_replays_pending_provisions_and_deprovisions_live_ones() {
    let setup = setup(ReferenceAddon::new(heroku_adapter::PLATFORM)).await;
    let operations = operations(&setup);
    let plan = operations.default_plan();
    let live = operations.provision(&plan, BTreeMap::new()).await.unwrap();
    // A provision recorded as about to be sent, whose answer was never read: the request that
    // reaches the provider is the cleanup's replay.
    let unsent = operations.fresh_input(&plan, BTreeMap::new()).unwrap();
    let pending = setup
        .ledger
        .begin(
            &Scope {
                platform: heroku_adapter::PLATFORM,
                target: operations.target().clone(),
                manifest_path: Some(setup.manifest_path.clone()),
                environment: Environment::Test,
            },
            &unsent,
        )
        .unwrap();
    // An entry whose manifest is gone cannot be cleaned up, and says why.
    let orphan = setup
        .ledger
        .begin(
            &Scope {
                platform: heroku_adapter::PLATFORM,
                target: operations.target().clone(),
                manifest_path: Some(setup.manifest_path.with_file_name("gone.json")),
                environment: Environment::Test,
            },
            &operations.fresh_input(&plan, BTreeMap::new()).unwrap(),
        )
        .unwrap();

    let live_entry = setup
        .ledger
        .find_live(operations.target(), &live.id)
        .unwrap()
        .unwrap();

    let outcomes = cleanup_leftovers(&setup.ledger, &heroku, None, &|_, _| {})
        .await
        .unwrap();
    let summary: Vec<(i64, Result<(), String>)> = outcomes
        .into_iter()
        .map(|(entry, outcome)| {
            (
                entry.id,
                outcome.map_err(|e| e.contains("gone.json").to_string()),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (live_entry.id, Ok(())),
            (pending, Ok(())),
            (orphan, Err("true".to_string())),
        ]
    );
    assert_eq!(setup.addon.live_resources(), Vec::<String>::new());
    let replayed = setup.ledger.entry(pending).unwrap().unwrap();
    assert_eq!(replayed.state, EntryState::Deprovisioned);
    assert!(
        replayed.resource_id.is_some(),
        "the replay named the resource"
    );
    let remaining: Vec<i64> = setup
        .ledger
        .entries()
        .unwrap()
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(remaining, [orphan]);
    setup.addon.shutdown().await;
}

#[tokio::test]
async fn a_suite_run_records_into_the_ledger_and_settles_everything() {
    let setup = setup(ReferenceAddon::new(heroku_adapter::PLATFORM)).await;
    let report = run_suite(
        &Heroku,
        manifest(&setup.manifest_path),
        RunOptions {
            seed: 3,
            cases: 1,
            ledger: Some(setup.ledger.clone()),
            manifest_path: Some(setup.manifest_path.clone()),
            ..RunOptions::default()
        },
        std::future::pending(),
    )
    .await
    .unwrap();
    assert_eq!(report.summary.failed, 0);
    assert_eq!(setup.ledger.entries().unwrap(), Vec::new());
    // The main resource, the concurrent replays' one, the distinct one and the unknown plan's.
    let history: Vec<EntryState> = (1..=4)
        .map(|id| setup.ledger.entry(id).unwrap().unwrap().state)
        .collect();
    assert_eq!(
        history,
        [
            EntryState::Deprovisioned,
            EntryState::Deprovisioned,
            EntryState::Deprovisioned,
            EntryState::Failed
        ]
    );
    // Then the resources of lifecycle.model's generated sequences, every one of them settled.
    let mut generated = Vec::new();
    let mut id = 5;
    while let Some(entry) = setup.ledger.entry(id).unwrap() {
        generated.push(entry.state);
        id += 1;
    }
    assert!(!generated.is_empty(), "the generated sequences provision");
    assert!(
        generated
            .iter()
            .all(|state| matches!(state, EntryState::Deprovisioned | EntryState::Failed)),
        "{generated:?}"
    );
    setup.addon.shutdown().await;
}

#[tokio::test]
async fn cleanup_refuses_a_planted_row_naming_another_origin() {
    let setup = setup(ReferenceAddon::new(heroku_adapter::PLATFORM)).await;
    let foreign = ReferenceAddon::new(heroku_adapter::PLATFORM)
        .start()
        .await
        .unwrap();
    let operations = operations(&setup);
    let plan = operations.default_plan();
    let planted = setup
        .ledger
        .begin(
            &Scope {
                platform: heroku_adapter::PLATFORM,
                target: format!("http://{}/heroku/resources", foreign.addr())
                    .parse()
                    .unwrap(),
                manifest_path: Some(setup.manifest_path.clone()),
                environment: Environment::Test,
            },
            &operations.fresh_input(&plan, BTreeMap::new()).unwrap(),
        )
        .unwrap();
    let honest = setup
        .ledger
        .begin(
            &Scope {
                platform: heroku_adapter::PLATFORM,
                target: operations.target().clone(),
                manifest_path: Some(setup.manifest_path.clone()),
                environment: Environment::Test,
            },
            &operations.fresh_input(&plan, BTreeMap::new()).unwrap(),
        )
        .unwrap();
    let outcomes = cleanup_leftovers(&setup.ledger, &heroku, None, &|_, _| {})
        .await
        .unwrap();
    let planted_outcome = &outcomes.iter().find(|(e, _)| e.id == planted).unwrap().1;
    let reason = planted_outcome.as_ref().unwrap_err();
    assert!(
        reason.contains("refused") && reason.contains(&foreign.addr().to_string()),
        "{reason}"
    );
    assert_eq!(
        foreign.requests_seen(),
        0,
        "nothing was sent to the other origin"
    );
    let honest_outcome = &outcomes.iter().find(|(e, _)| e.id == honest).unwrap().1;
    assert_eq!(honest_outcome, &Ok(()));
    assert_eq!(
        setup.ledger.entry(planted).unwrap().unwrap().state,
        EntryState::Pending,
        "the refused row stays outstanding"
    );
    foreign.shutdown().await;
    setup.addon.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_provision_the_ledger_cannot_record_is_not_sent() {
    let setup = setup(ReferenceAddon::new(heroku_adapter::PLATFORM)).await;
    let path = setup.ledger.path().unwrap().to_path_buf();
    // Another process holds the write lock for the whole run.
    let locker = rusqlite::Connection::open(&path).unwrap();
    locker.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let report = run_suite(
        &Heroku,
        manifest(&setup.manifest_path),
        RunOptions {
            seed: 3,
            cases: 1,
            ledger: Some(setup.ledger.clone()),
            manifest_path: Some(setup.manifest_path.clone()),
            ..RunOptions::default()
        },
        std::future::pending(),
    )
    .await
    .unwrap();
    assert_eq!(
        setup.addon.requests_seen(),
        0,
        "no provision went out unrecorded"
    );
    let provision = report
        .checks
        .iter()
        .find(|check| check.id == "provision.status")
        .unwrap();
    assert!(
        provision
            .message
            .contains("the ledger stopped accepting writes"),
        "{provision:?}"
    );
    assert!(report.interrupted);
    assert!(report.leftovers.is_empty(), "{:?}", report.leftovers);
    locker.execute_batch("ROLLBACK").unwrap();

    // Without the lock the same run provisions (and cleans up): the lock was the cause.
    let report = run_suite(
        &Heroku,
        manifest(&setup.manifest_path),
        RunOptions {
            seed: 3,
            cases: 1,
            only: vec!["provision.status".into()],
            ledger: Some(setup.ledger.clone()),
            manifest_path: Some(setup.manifest_path.clone()),
            ..RunOptions::default()
        },
        std::future::pending(),
    )
    .await
    .unwrap();
    assert!(setup.addon.requests_seen() > 0);
    assert!(!report.interrupted);
    setup.addon.shutdown().await;
}
