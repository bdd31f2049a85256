//! `load`: many clients at once running provision → plan change → deprovision cycles, each
//! operation's latencies reported against the platform's deadlines.
//!
//! Every resource goes through [`Operations`], so it is recorded in the ledger like any run's,
//! and every cycle that provisioned something deprovisions it before it ends, also when the run
//! is interrupted.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use http_runner::{OpError, Operations, OperationsOptions, Redactor};
use manifest_core::{Manifest, exit};
use serde_json::json;

use crate::args::{ListFormat, LoadArgs};
use crate::commands::ledger::open_run_ledger;
use crate::commands::operations::{load as load_manifest, operations};
use crate::commands::test::ctrl_c;
use crate::error::CliError;
use crate::load::ManifestFile;
use crate::progress::Progress;
use crate::server;

/// The name and version of the JSON document `load --format json` prints.
pub const LOAD_SCHEMA: &str = "addon-conform/load/v1";

/// The operations of a cycle, in the order they are sent.
const OPERATIONS: [&str; 3] = ["provision", "plan change", "deprovision"];

/// What one operation's attempts came to.
#[derive(Debug, Default)]
struct Samples {
    /// How long each attempt took, answered or not.
    durations: Vec<Duration>,
    errors: Vec<String>,
    unreachable: usize,
}

/// What every client records into, and what tells them to stop.
#[derive(Debug)]
struct Shared {
    samples: [Mutex<Samples>; 3],
    /// Resources whose deprovision failed: still on the provider, still in the ledger.
    left: Mutex<Vec<String>>,
    cycles_left: Option<AtomicU32>,
    until: Option<Instant>,
    stopping: AtomicBool,
    cycles_run: AtomicU32,
    cycles_ended: AtomicU32,
    failed_operations: AtomicU32,
    progress: Progress,
}

impl Shared {
    /// Whether a client may start one more cycle; takes it from the budget when it may.
    fn take_cycle(&self) -> bool {
        if self.stopping.load(Ordering::SeqCst)
            || self.until.is_some_and(|until| Instant::now() >= until)
        {
            return false;
        }
        match &self.cycles_left {
            Some(left) => left
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                    left.checked_sub(1)
                })
                .is_ok(),
            None => true,
        }
    }

    fn record<T>(&self, operation: usize, started: Instant, outcome: &Result<T, OpError>) {
        let elapsed = started.elapsed();
        let mut samples = self.samples[operation]
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        samples.durations.push(elapsed);
        if let Err(error) = outcome {
            self.failed_operations.fetch_add(1, Ordering::Relaxed);
            if error.is_unreachable() {
                samples.unreachable += 1;
            }
            samples.errors.push(error.to_string());
        }
    }

    /// Moves the progress line on once a cycle has ended, however it went.
    fn cycle_ended(&self) {
        let ended = self.cycles_ended.fetch_add(1, Ordering::Relaxed) + 1;
        let failed = self.failed_operations.load(Ordering::Relaxed);
        let (total, left) = match (&self.cycles_left, self.until) {
            (Some(_), _) => (
                self.cycles_run.load(Ordering::Relaxed) as usize,
                String::new(),
            ),
            (None, Some(until)) => (
                ended as usize,
                format!(
                    ", {} s left",
                    until.saturating_duration_since(Instant::now()).as_secs()
                ),
            ),
            (None, None) => (ended as usize, String::new()),
        };
        self.progress.update(
            ended as usize,
            total.max(ended as usize),
            format!("cycles · {ended} ended, {failed} operations failed{left}"),
        );
    }
}

/// One client: cycles until the budget, the duration or an interruption says stop.
async fn client(operations: &Operations<'_>, plan: &str, other_plan: &str, shared: &Shared) {
    while shared.take_cycle() {
        shared.cycles_run.fetch_add(1, Ordering::SeqCst);
        let started = Instant::now();
        let provisioned = operations.provision(plan, Default::default()).await;
        shared.record(0, started, &provisioned);
        let Ok(resource) = provisioned else {
            shared.cycle_ended();
            continue;
        };
        let started = Instant::now();
        let changed = operations.change_plan(&resource.id, other_plan).await;
        shared.record(1, started, &changed);
        let started = Instant::now();
        let deprovisioned = operations.deprovision(&resource.id).await;
        shared.record(2, started, &deprovisioned);
        if deprovisioned.is_err() {
            shared
                .left
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(resource.id);
        }
        shared.cycle_ended();
    }
}

/// Completes on Ctrl-C or, on Unix, on SIGTERM.
async fn interrupted() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::select! {
                () = ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
    }
    ctrl_c().await;
}

/// How one operation did against the deadlines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Pass,
    /// Over the SHOULD deadline, within the MUST one.
    Warn,
    /// Over the MUST deadline, or an error.
    Fail,
}

impl Verdict {
    fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Warn => "warn",
            Verdict::Fail => "fail",
        }
    }
}

/// One operation's figures.
#[derive(Debug)]
struct Summary {
    operation: &'static str,
    count: usize,
    errors: usize,
    unreachable: usize,
    p50: Duration,
    p95: Duration,
    p99: Duration,
    max: Duration,
    over_should: usize,
    over_must: usize,
    verdict: Verdict,
    /// The first error, to say what went wrong.
    first_error: Option<String>,
}

/// The nearest-rank percentile of sorted `durations`; zero when there are none.
fn percentile(sorted: &[Duration], percent: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (sorted.len() * percent).div_ceil(100).max(1);
    sorted[rank - 1]
}

fn summarize(
    operation: &'static str,
    samples: Samples,
    should: Option<Duration>,
    must: Duration,
) -> Summary {
    let mut sorted = samples.durations;
    sorted.sort();
    let over_should = should.map_or(0, |should| sorted.iter().filter(|d| **d > should).count());
    let over_must = sorted.iter().filter(|d| **d > must).count();
    let errors = samples.errors.len();
    let verdict = if over_must > 0 || errors > 0 {
        Verdict::Fail
    } else if over_should > 0 {
        Verdict::Warn
    } else {
        Verdict::Pass
    };
    Summary {
        operation,
        count: sorted.len(),
        errors,
        unreachable: samples.unreachable,
        p50: percentile(&sorted, 50),
        p95: percentile(&sorted, 95),
        p99: percentile(&sorted, 99),
        max: sorted.last().copied().unwrap_or_default(),
        over_should,
        over_must,
        verdict,
        first_error: samples.errors.into_iter().next(),
    }
}

fn millis(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

fn error_rate(summary: &Summary) -> f64 {
    if summary.count == 0 {
        0.0
    } else {
        summary.errors as f64 / summary.count as f64
    }
}

/// `quiet` keeps the progress line off standard error.
pub async fn load(args: &LoadArgs, quiet: bool) -> Result<i32, CliError> {
    let (file, manifest) = load_manifest(&args.target.manifest)?;
    let provisioning_url = args.target.base_url.clone().or_else(|| {
        manifest
            .endpoints(args.target.environment)
            .map(|endpoints| endpoints.base_url.clone())
    });
    let redactor = Redactor::new(manifest.secrets());
    server::around_exit_code(
        &args.server,
        provisioning_url.as_ref(),
        &redactor,
        cycles(args, &file, manifest, quiet),
    )
    .await
}

/// Runs the clients' cycles against a provider that is up, and reports them.
async fn cycles(
    args: &LoadArgs,
    file: &ManifestFile,
    manifest: Manifest,
    quiet: bool,
) -> Result<i32, CliError> {
    let expectations = file.dialect.expectations();
    let must = args.must_deadline.unwrap_or(expectations.deadline_must);
    let should = args
        .should_deadline
        .or(expectations.deadline_should)
        .filter(|should| *should < must);
    let ledger = open_run_ledger(args.target.ledger.as_deref())?;
    // One set of operations per client: each its own connection pool, none waiting on another
    // client's requests, as independent clients of a platform are.
    let clients = (0..args.concurrency)
        .map(|_| {
            operations(
                file,
                manifest.clone(),
                OperationsOptions {
                    environment: args.target.environment,
                    base_url: args.target.base_url.clone(),
                    timeout: args.target.timeout,
                    manifest_path: None,
                },
                ledger.clone(),
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    let operations = &clients[0];
    let plan = args
        .plan
        .clone()
        .unwrap_or_else(|| operations.default_plan());
    let other_plan = args
        .plan_change_to
        .clone()
        .unwrap_or_else(|| operations.other_plan(&plan));

    let started = Instant::now();
    let shared = Shared {
        samples: Default::default(),
        left: Mutex::default(),
        cycles_left: args.cycles.map(AtomicU32::new),
        until: args.duration.map(|duration| started + duration),
        stopping: AtomicBool::new(false),
        cycles_run: AtomicU32::new(0),
        cycles_ended: AtomicU32::new(0),
        failed_operations: AtomicU32::new(0),
        // The JSON document goes to standard output, which may share the screen.
        progress: Progress::on_stderr(!quiet && args.format == ListFormat::Human),
    };
    let interrupted = {
        let clients = join_all(
            clients
                .iter()
                .map(|operations| client(operations, &plan, &other_plan, &shared)),
        );
        tokio::pin!(clients);
        tokio::select! {
            _ = &mut clients => false,
            () = interrupted() => {
                eprintln!(
                    "interrupted: no new cycles; the cycles under way finish and deprovision"
                );
                shared.stopping.store(true, Ordering::SeqCst);
                clients.await;
                true
            }
        }
    };
    let wall = started.elapsed();
    shared.progress.finish();

    let Shared {
        samples,
        left,
        cycles_run,
        ..
    } = shared;
    let summaries: Vec<Summary> = OPERATIONS
        .into_iter()
        .zip(samples)
        .map(|(operation, samples)| {
            let samples = samples
                .into_inner()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            summarize(operation, samples, should, must)
        })
        .collect();
    let left = left
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let cycles = cycles_run.into_inner();
    let sent: usize = summaries.iter().map(|summary| summary.count).sum();
    let unreachable: usize = summaries.iter().map(|summary| summary.unreachable).sum();
    let passed = summaries
        .iter()
        .all(|summary| summary.verdict != Verdict::Fail);
    let code = if sent > 0 && unreachable == sent {
        exit::UNREACHABLE
    } else if passed && left.is_empty() && !interrupted {
        exit::PASSED
    } else {
        exit::FAILED
    };

    match args.format {
        ListFormat::Human => print!(
            "{}",
            human(
                &summaries,
                should,
                must,
                args.concurrency,
                cycles,
                wall,
                interrupted
            )
        ),
        ListFormat::Json => {
            let document = json!({
                "schema": LOAD_SCHEMA,
                "platform": file.dialect.platform().as_str(),
                "target": operations.target().as_str(),
                "concurrency": args.concurrency,
                "cycles": cycles,
                "interrupted": interrupted,
                "wall_ms": millis(wall),
                "deadlines": {
                    "should_ms": should.map(millis),
                    "must_ms": millis(must),
                },
                "operations": summaries.iter().map(|summary| json!({
                    "operation": summary.operation,
                    "count": summary.count,
                    "errors": summary.errors,
                    "error_rate": error_rate(summary),
                    "p50_ms": millis(summary.p50),
                    "p95_ms": millis(summary.p95),
                    "p99_ms": millis(summary.p99),
                    "max_ms": millis(summary.max),
                    "over_should": summary.over_should,
                    "over_must": summary.over_must,
                    "verdict": summary.verdict.as_str(),
                    "first_error": summary.first_error,
                })).collect::<Vec<_>>(),
                "left_provisioned": left,
                "passed": code == exit::PASSED,
            });
            let text = serde_json::to_string_pretty(&document)
                .map_err(|error| CliError::io("cannot write the JSON answer", error.into()))?;
            println!("{text}");
        }
    }
    if !left.is_empty() {
        eprintln!(
            "error: {} resource(s) could not be deprovisioned ({}); they are in the ledger: run \
             `addon-conform ledger cleanup`",
            left.len(),
            left.join(", ")
        );
    }
    Ok(code)
}

fn seconds(duration: Duration) -> String {
    format!("{:.3}s", duration.as_secs_f64())
}

fn human(
    summaries: &[Summary],
    should: Option<Duration>,
    must: Duration,
    concurrency: u32,
    cycles: u32,
    wall: Duration,
    interrupted: bool,
) -> String {
    let mut out = format!(
        "{cycles} cycle(s) from {concurrency} client(s) in {}{}; deadlines: should {}, must {}\n",
        seconds(wall),
        if interrupted { " (interrupted)" } else { "" },
        should.map_or_else(|| "none".to_string(), seconds),
        seconds(must),
    );
    out.push_str(&format!(
        "{:<12} {:>6} {:>7} {:>9} {:>9} {:>9} {:>9} {:>7} {:>6}  verdict\n",
        "operation", "count", "errors", "p50", "p95", "p99", "max", ">should", ">must"
    ));
    for summary in summaries {
        out.push_str(&format!(
            "{:<12} {:>6} {:>6.1}% {:>9} {:>9} {:>9} {:>9} {:>7} {:>6}  {}\n",
            summary.operation,
            summary.count,
            error_rate(summary) * 100.0,
            seconds(summary.p50),
            seconds(summary.p95),
            seconds(summary.p99),
            seconds(summary.max),
            summary.over_should,
            summary.over_must,
            summary.verdict.as_str().to_uppercase(),
        ));
    }
    for summary in summaries {
        if let Some(error) = &summary.first_error {
            out.push_str(&format!(
                "{}: {} error(s), the first: {error}\n",
                summary.operation, summary.errors
            ));
        }
        if summary.verdict == Verdict::Warn {
            out.push_str(&format!(
                "warning: {} answered {} time(s) past the should deadline\n",
                summary.operation, summary.over_should
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let sorted: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&sorted, 50), Duration::from_millis(50));
        assert_eq!(percentile(&sorted, 99), Duration::from_millis(99));
        assert_eq!(percentile(&sorted[..1], 95), Duration::from_millis(1));
        assert_eq!(percentile(&[], 50), Duration::ZERO);
    }

    #[test]
    fn a_should_miss_warns_and_a_must_miss_or_an_error_fails() {
        let samples = |millis: &[u64], errors: usize| Samples {
            durations: millis.iter().copied().map(Duration::from_millis).collect(),
            errors: vec!["refused".to_string(); errors],
            unreachable: 0,
        };
        let should = Some(Duration::from_millis(10));
        let must = Duration::from_millis(100);
        let verdict = |samples| summarize("provision", samples, should, must).verdict;
        assert_eq!(verdict(samples(&[1, 9], 0)), Verdict::Pass);
        assert_eq!(verdict(samples(&[1, 50], 0)), Verdict::Warn);
        assert_eq!(verdict(samples(&[1, 101], 0)), Verdict::Fail);
        assert_eq!(verdict(samples(&[1, 2], 1)), Verdict::Fail);
    }
}
