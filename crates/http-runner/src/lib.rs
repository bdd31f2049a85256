//! The conformance engine: runs every applicable check of the catalog against a provider,
//! through any [`Dialect`], over real HTTP.
//!
//! A provider's own test, in short (`examples/provider_test.rs` is the runnable whole):
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use heroku_adapter::Heroku;
//! use http_runner::{RunOptions, run_suite};
//! use manifest_core::{Dialect, Source};
//!
//! let text = std::fs::read_to_string("addon-manifest.json")?;
//! let manifest = Heroku.load_manifest(Source::new("addon-manifest.json", text))?;
//! let options = RunOptions { seed: 42, cases: 1, ..RunOptions::default() };
//! let report = run_suite(&Heroku, manifest, options, std::future::pending()).await?;
//! assert_eq!(report.summary.failed, 0);
//! # Ok(()) }
//! ```

mod book;
mod callback;
mod client;
mod config;
mod evidence;
mod inputs;
mod ledger;
mod lifecycle;
mod needs;
mod ops;
mod sso;
mod suite;

use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use manifest_core::diagnostics::Severity;
use manifest_core::report::Leftover;
use manifest_core::report::Status;
use manifest_core::{Ctx, Dialect, Environment, Expectations, Manifest, Platform, Report};
use url::Url;

pub use book::glob_matches;
pub use client::{BODY_CAP, DEFAULT_CONCURRENCY, TransportError};
pub use evidence::Redactor;
pub use ledger::{EntryState, Ledger, LedgerEntry, LedgerError, Scope};
pub use lifecycle::{
    CONCURRENT_COPIES, MAX_SHRINK_ATTEMPTS, MAX_STEPS, ReplayOptions, ReplayVerdict, Replayed,
    Reproduction, SEQUENCES_PER_CASE, Slot, Step, Token, replay,
};
pub use ops::{Deprovisioned, OpError, Operations, OperationsOptions, cleanup_leftovers};

use book::{CheckBook, Selection};
use client::{Traffic, Transport};
use inputs::InputGenerator;
use ledger::RunRecord;
use suite::Suite;

/// How a run is shaped: everything the `test` command's flags decide.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub environment: Environment,
    /// Overrides the manifest's provisioning URL for the chosen environment.
    pub base_url: Option<Url>,
    /// Overrides the manifest's SSO URL for the chosen environment.
    pub sso_url: Option<Url>,
    /// Run only checks whose id matches one of these globs (`*` matches any run of characters).
    pub only: Vec<String>,
    /// Skip checks whose id matches one of these globs.
    pub skip: Vec<String>,
    pub plan: Option<String>,
    pub plan_change_to: Option<String>,
    /// Provision options from `--option KEY=VALUE`, sent besides generated ones.
    pub options: BTreeMap<String, String>,
    /// Overrides the platform's deadline for every request.
    pub timeout: Option<Duration>,
    /// The deadline of the whole run; `None`: [`DEADLINES_IN_A_ROW`] request deadlines per case,
    /// plus the wait for an asynchronous provision ([`default_max_duration`]).
    pub max_duration: Option<Duration>,
    /// The seed of every generated input; the same seed replays the same run.
    pub seed: u64,
    /// How many times the generated part repeats (at least once): the provisions of generated
    /// inputs, and [`SEQUENCES_PER_CASE`] generated sequences of operations each time.
    pub cases: u32,
    /// Run the checks that need a resource against this id instead of provisioning one.
    pub resource: Option<String>,
    /// The platform's id of `resource` (its uuid), which logins carry. `None`: the one
    /// the ledger recorded for that resource, if any; without one, the token kinds minted from
    /// it are not tested.
    pub resource_uuid: Option<String>,
    /// Overrides the platform's SSO timestamp window.
    pub sso_window: Option<Duration>,
    /// Also run the legacy SSO checks (the cookie and header of the platform's legacy login page).
    pub legacy_sso: bool,
    /// Where to record what the run provisions, so that a run killed before its own cleanup
    /// can be cleaned up later ([`cleanup_leftovers`]). `None`: a ledger in memory, gone with
    /// the run.
    pub ledger: Option<Ledger>,
    /// The manifest's file, recorded with every ledger entry so that a later cleanup can
    /// reload its credentials.
    pub manifest_path: Option<PathBuf>,
    /// At most this many requests in flight to the provider at once, and as many scenarios
    /// and generated sequences running at once; `1` runs strictly one request after another,
    /// the scenarios in their fixed order. `None`: [`DEFAULT_CONCURRENCY`].
    pub concurrency: Option<usize>,
    /// Told of every verdict as the run goes, for a progress display.
    pub progress: Option<ProgressHook>,
}

/// A check received a verdict: which one, its status so far, and the counts of the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProgressEvent {
    pub check: &'static str,
    pub status: Status,
    /// Selected checks that have a verdict so far.
    pub decided: usize,
    /// Selected checks of the run.
    pub total: usize,
    /// Selected checks failed so far.
    pub failed: usize,
}

/// What [`RunOptions::progress`] calls, from the task that runs the suite.
#[derive(Clone)]
pub struct ProgressHook(pub Arc<dyn Fn(&ProgressEvent) + Send + Sync>);

impl std::fmt::Debug for ProgressHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProgressHook")
    }
}

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("the manifest has no {0} URL; pass --base-url or pick another --env")]
    NoEndpoint(Environment),
    #[error("could not start the HTTP client: {0}")]
    Client(String),
    #[error("could not start the callback listener on loopback: {0}")]
    Callback(std::io::Error),
    #[error("{0}")]
    Ledger(#[from] LedgerError),
    #[error("cannot get random bytes from the operating system: {0}")]
    Random(String),
    #[error("the sequence was recorded against {saved}, but the manifest is for {target}")]
    WrongPlatform { saved: Platform, target: Platform },
}

/// How long an asynchronous provision may take to report back, unless `--timeout` says.
const ASYNC_PROVISION_WAIT: Duration = Duration::from_secs(60);

/// How long cleanup may take after the run was interrupted.
const CLEANUP_AFTER_INTERRUPT: Duration = Duration::from_secs(30);

/// Runs the whole suite and returns its report. Everything the run provisions is deprovisioned
/// before this returns, also when `interrupt` completes first (Ctrl-C): then the report is marked
/// interrupted.
pub async fn run_suite(
    dialect: &dyn Dialect,
    manifest: Manifest,
    options: RunOptions,
    interrupt: impl Future<Output = ()> + Send,
) -> Result<Report, RunError> {
    let started = Instant::now();
    let expectations = dialect.expectations();
    let mut endpoints = endpoints(&manifest, options.environment, options.base_url.as_ref())
        .ok_or(RunError::NoEndpoint(options.environment))?;
    if let Some(sso_url) = &options.sso_url {
        endpoints.sso_url = Some(sso_url.clone());
    }
    let timeout = options.timeout.unwrap_or(expectations.deadline_must);
    let redactor = run_redactor(&manifest, &endpoints);
    let traffic = Arc::new(Traffic::new(
        options.concurrency.unwrap_or(DEFAULT_CONCURRENCY),
    ));
    let transport = Transport::new(&endpoints.base_url, timeout, traffic.clone())
        .map_err(RunError::Client)?
        .learning_into(&redactor);
    let sso_origin = endpoints.sso_url.as_ref().unwrap_or(&endpoints.base_url);
    let browser = transport.for_origin(sso_origin);
    let ledger = match &options.ledger {
        Some(ledger) => ledger.clone(),
        None => Ledger::in_memory()?,
    };
    let given_uuid = match &options.resource {
        Some(id) if options.resource_uuid.is_none() => ledger
            .find_live(&endpoints.base_url, id)
            .ok()
            .flatten()
            .map(|entry| entry.uuid),
        _ => options.resource_uuid.clone(),
    };
    let record = RunRecord::new(
        ledger,
        Scope {
            platform: dialect.platform(),
            target: endpoints.base_url.clone(),
            manifest_path: options.manifest_path.clone(),
            environment: options.environment,
        },
    );
    let mut report = Report::new(
        dialect.platform(),
        options.environment,
        endpoints.base_url.to_string(),
        options.seed,
    );
    let manifest = Arc::new(manifest);
    let callbacks = callback::CallbackServer::start()
        .await
        .map_err(RunError::Callback)?;
    let ctx = Ctx {
        credentials: manifest.credentials.clone(),
        manifest: manifest.clone(),
        environment: options.environment,
        endpoints,
        callback_base: callbacks.base().clone(),
    };
    let region = region(&manifest, expectations);
    let plan = options
        .plan
        .clone()
        .unwrap_or_else(|| first_plan(&manifest, expectations));
    let plan_change_to = options
        .plan_change_to
        .clone()
        .unwrap_or_else(|| other_plan(&manifest, expectations, &plan));

    let mut book = CheckBook::new(
        expectations.capabilities,
        expectations.levels,
        Selection {
            only: options.only.clone(),
            skip: options.skip.clone(),
        },
    );
    book.observe(options.progress.clone());
    record_manifest_checks(dialect, &manifest, &mut book);

    let mut suite = Suite {
        dialect,
        ctx,
        redactor,
        transport,
        book,
        inputs: InputGenerator::new(options.seed, options.options.clone(), region)
            .issuing_into(callbacks.issued()),
        ledger: record,
        callbacks: Arc::new(callbacks),
        browser,
        sso_window: options.sso_window.unwrap_or(expectations.sso_window),
        legacy_sso: options.legacy_sso,
        async_wait: options.timeout.unwrap_or(ASYNC_PROVISION_WAIT),
        plan,
        plan_change_to,
        cases: options.cases,
        given_resource: options.resource.clone(),
        given_uuid,
        unreachable: false,
        facts: needs::Facts::default(),
        finished: Vec::new(),
    };
    // A run that can no longer record what it creates stops creating: it cleans up what it
    // holds in memory and reports why it stopped.
    let ledger_failed = suite.ledger.write_failed();
    let max_duration = options
        .max_duration
        .unwrap_or_else(|| default_max_duration(timeout, suite.async_wait, options.cases));
    let mut out_of_time = false;
    let interrupted = tokio::select! {
        biased;
        () = ledger_failed => true,
        () = interrupt => true,
        () = tokio::time::sleep(max_duration) => {
            out_of_time = true;
            true
        }
        () = suite.run() => false,
    };
    suite.merge_finished();
    let ledger_reason = suite
        .ledger
        .error()
        .map(|error| format!("not run: the ledger stopped accepting writes ({error})"));
    let cleanup = suite::cleanup(dialect, &suite.ctx, &suite.transport, &mut suite.ledger);
    let cleaned = if interrupted {
        tokio::time::timeout(CLEANUP_AFTER_INTERRUPT, cleanup)
            .await
            .ok()
    } else {
        Some(cleanup.await)
    };
    report.leftovers = outstanding(&suite.ledger, cleaned);
    report.interrupted = interrupted;
    report.unreachable = suite.unreachable;
    let out_of_time_reason = format!(
        "not finished: the run reached its --max-duration of {} s",
        max_duration.as_secs_f64()
    );
    let reason = if let Some(reason) = &ledger_reason {
        reason.as_str()
    } else if out_of_time {
        out_of_time_reason.as_str()
    } else if interrupted {
        "not run: interrupted"
    } else if suite.unreachable {
        "not run: the provider could not be reached"
    } else {
        "not run: an earlier step it depends on failed"
    };
    report.checks = suite.book.into_results(|_| reason.to_string());
    for check in &mut report.checks {
        if check.status == Status::Skip && check.message.is_empty() {
            check.message = reason.to_string();
        }
    }
    report.duration_ms = started.elapsed().as_millis() as u64;
    report.requests = traffic.requests();
    report.request_depth = traffic.depth();
    suite.redactor.redact_report(&mut report);
    report.finish();
    Ok(report)
}

/// Everything a run leaves behind: what its cleanup could not deprovision (`cleaned`; `None`
/// when the cleanup ran out of time), every resource still live, and every provision whose
/// answer was never read (it may have created something).
fn outstanding(record: &RunRecord, cleaned: Option<Vec<Leftover>>) -> Vec<Leftover> {
    let ran_out_of_time = cleaned.is_none();
    let mut leftovers = cleaned.unwrap_or_default();
    if ran_out_of_time {
        for resource in record.live() {
            if !leftovers.iter().any(|leftover| leftover.id == resource.id) {
                leftovers.push(Leftover {
                    id: resource.id,
                    reason: "the cleanup ran out of time before deprovisioning it".into(),
                });
            }
        }
    }
    for input in record.pending() {
        leftovers.push(Leftover {
            id: format!("(provision {})", input.uuid),
            reason: "its provision was never answered, so it may exist on the provider".into(),
        });
    }
    leftovers
}

/// The redactor of a run: the manifest's secrets, and a password written into a URL.
fn run_redactor(manifest: &Manifest, endpoints: &manifest_core::Endpoints) -> Redactor {
    let redactor = Redactor::new(manifest.secrets());
    for url in std::iter::once(&endpoints.base_url).chain(endpoints.sso_url.as_ref()) {
        if let Some(password) = url.password() {
            redactor.add(&manifest_core::Secret::new(password));
        }
    }
    redactor
}

/// How many requests may wait their full deadline one after another in a run's default time:
/// against a provider that answers provisions and hangs on everything else, a run waits about
/// ten deadlines in a row (the steps that depend on one another: the replay, plan change,
/// login, deprovision and its repeat, the generated sequences, the cleanup), and gets each of
/// those verdicts with this much room.
pub const DEADLINES_IN_A_ROW: u32 = 12;

/// How long a run may take unless `--max-duration` says: [`DEADLINES_IN_A_ROW`] request
/// deadlines for each case of the generated part (which makes most of a run's requests: about
/// 220 one after another for one case, 180 more for each further case), plus one wait for an
/// asynchronous provision. Heroku's 25 s deadline makes it 6 minutes for one case: a correct
/// provider fits as long as its answers take under a second and a half on average, and one
/// that hangs cannot hold a CI job for longer. A slower provider needs `--max-duration`.
pub fn default_max_duration(deadline: Duration, async_wait: Duration, cases: u32) -> Duration {
    deadline * DEADLINES_IN_A_ROW * cases.max(1) + async_wait
}

/// Where a run's work stops when the ledger refused to record a provision: the request is not
/// sent, and the run, which watches the ledger, ends and cleans up from memory.
async fn stop_unrecorded() {
    std::future::pending::<()>().await;
}

/// The endpoints of `environment`, with the provisioning URL replaced by `base_url` when given
/// (which also stands in for an environment the manifest lacks).
fn endpoints(
    manifest: &Manifest,
    environment: Environment,
    base_url: Option<&Url>,
) -> Option<manifest_core::Endpoints> {
    let mut endpoints = manifest.endpoints(environment).cloned().or_else(|| {
        base_url.map(|base_url| manifest_core::Endpoints {
            base_url: base_url.clone(),
            sso_url: None,
            sso_transport: manifest_core::SsoTransport::Post,
        })
    })?;
    if let Some(base_url) = base_url {
        endpoints.base_url = base_url.clone();
    }
    Some(endpoints)
}

/// The region provisions name: the manifest's first concrete one, else the platform's default.
fn region(manifest: &Manifest, expectations: &Expectations) -> String {
    manifest
        .regions
        .iter()
        .find(|region| region.as_str() != "*")
        .cloned()
        .unwrap_or_else(|| expectations.default_region.to_string())
}

/// The plan to provision when none is named: the manifest's first, else the platform's usual.
fn first_plan(manifest: &Manifest, expectations: &Expectations) -> String {
    manifest
        .plans
        .first()
        .map(|plan| plan.name.clone())
        .unwrap_or_else(|| expectations.default_plan.to_string())
}

/// A plan to change to from `plan` when none is named.
fn other_plan(manifest: &Manifest, expectations: &Expectations, plan: &str) -> String {
    manifest
        .plans
        .iter()
        .map(|p| p.name.clone())
        .find(|name| name != plan)
        .unwrap_or_else(|| expectations.default_plan_change_to.to_string())
}

/// Turns the dialect's manifest findings into verdicts on the `manifest.*` checks.
fn record_manifest_checks(dialect: &dyn Dialect, manifest: &Manifest, book: &mut CheckBook) {
    let findings = manifest_core::Diagnostics::new(
        manifest.document.source.clone(),
        dialect.manifest_findings(manifest),
    );
    for finding in &findings.items {
        let message = format!("{}: {}", findings.location(finding), finding.message);
        match finding.severity {
            Severity::Error => book.fail(finding.check, message),
            Severity::Warning => book.warn(finding.check, message),
        }
    }
    for check in manifest_core::catalog::for_dialect(dialect) {
        if check.area() == "manifest" {
            book.pass(check.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_run_deadline_is_minutes_and_grows_with_the_cases() {
        let request_deadline = Duration::from_secs(25);
        let wait = ASYNC_PROVISION_WAIT;
        assert_eq!(
            default_max_duration(request_deadline, wait, 1),
            Duration::from_secs(6 * 60)
        );
        assert_eq!(
            default_max_duration(request_deadline, wait, 0),
            default_max_duration(request_deadline, wait, 1),
            "the generated part runs at least once"
        );
        assert_eq!(
            default_max_duration(request_deadline, wait, 3),
            Duration::from_secs(3 * 12 * 25 + 60)
        );
        assert_eq!(
            default_max_duration(Duration::from_secs(2), Duration::from_secs(2), 1),
            Duration::from_secs(26),
            "--timeout sets both the deadline and the wait"
        );
    }

    fn input(uuid: &str) -> manifest_core::ProvisionInput {
        manifest_core::ProvisionInput {
            uuid: uuid.into(),
            app_slug: format!("slug-{uuid}"),
            app_name: "app".into(),
            resource_name: "resource".into(),
            plan: "test".into(),
            region: "us".into(),
            options: BTreeMap::new(),
            api_token: manifest_core::Secret::new("generated-token"),
            log_drain_token: "d.0123".into(),
        }
    }

    fn record() -> RunRecord {
        let mut record = RunRecord::new(
            Ledger::in_memory().unwrap(),
            Scope {
                platform: Platform::new("example"),
                target: "http://127.0.0.1:1/resources".parse().unwrap(),
                manifest_path: None,
                environment: Environment::Test,
            },
        );
        assert!(record.intend(&input("u-live")));
        record.record(manifest_core::Resource {
            id: "res-live".into(),
            input: input("u-live"),
            plan: "test".into(),
            config: BTreeMap::new(),
        });
        assert!(record.intend(&input("u-pending")));
        record
    }

    #[test]
    fn a_cleanup_that_ran_out_of_time_names_everything_still_outstanding() {
        let leftovers = outstanding(&record(), None);
        let ids: Vec<&str> = leftovers.iter().map(|l| l.id.as_str()).collect();
        assert_eq!(ids, ["res-live", "(provision u-pending)"]);
        assert!(leftovers[0].reason.contains("ran out of time"));
        assert!(leftovers[1].reason.contains("never answered"));
    }

    #[test]
    fn a_finished_cleanup_still_names_unanswered_provisions() {
        let leftovers = outstanding(&record(), Some(Vec::new()));
        let ids: Vec<&str> = leftovers.iter().map(|l| l.id.as_str()).collect();
        assert_eq!(ids, ["(provision u-pending)"]);
    }
}
