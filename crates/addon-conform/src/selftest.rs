//! The tester tests itself: the suite against the reference add-on, once correct and once with
//! each fault, through the same public API a provider uses from its own tests (load a manifest,
//! pick a dialect, run the suite, read the report). The result is a matrix of platform × fault
//! → the checks that failed, judged against what each fault is meant to break.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use http_runner::{RunOptions, run_suite};
use manifest_core::report::Status;
use manifest_core::{Platform, Source, SsoTransport};
use reference_addon::{Fault, Mode, ReferenceAddon};
use serde::Serialize;
use tokio::sync::Semaphore;

use crate::progress::Progress;

/// The model check sends generated sequences of every operation, so it runs into most faults.
/// It runs on the correct add-on and on the faults that only a sequence shows (with more
/// sequences, so one that shows the fault is among them whatever the seed); against the others
/// it would only repeat what their own checks say, and add time.
const MODEL_CHECK: &str = "lifecycle.model";
const MODEL_CASES: u32 = 4;

/// Runs at once; slow faults mostly wait, the rest are short.
const PARALLEL_RUNS: usize = 12;

/// The deadline of every request in a row that must see a request go unanswered (a slow fault
/// without a soft deadline to overshoot, an asynchronous provision whose callback never comes):
/// long enough that a correct answer on a loaded machine still makes it.
const ROW_DEADLINE: Duration = Duration::from_secs(4);

/// How late slow faults answer when the row relies on the deadline: so far beyond it that the
/// verdict cannot depend on the machine's load (shutting the add-on down ends the wait).
const FAR_BEYOND_THE_DEADLINE: Duration = Duration::from_secs(600);

/// One configuration of the reference add-on the suite runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Target {
    pub platform: Platform,
    pub sso: SsoTransport,
}

/// The configurations the matrix covers: one per single sign-on transport each platform has,
/// the first (what new manifests get) running every fault, the others the faults that concern
/// single sign-on.
pub fn targets(platforms: &[Platform]) -> Vec<Target> {
    platforms
        .iter()
        .flat_map(|&platform| {
            registered(platform)
                .expectations()
                .sso_transports
                .iter()
                .map(move |&sso| Target { platform, sso })
        })
        .collect()
}

/// The dialect of a platform the matrix runs: the callers take platforms from the registry.
fn registered(platform: Platform) -> &'static dyn manifest_core::Dialect {
    dialects::find(platform).unwrap_or_else(|| panic!("{platform} is not a registered platform"))
}

/// One cell row: a target with one fault (or none), and what the run made of it.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub platform: Platform,
    pub sso: SsoTransport,
    /// The correct but unusual design the add-on followed, if not its default one: the row
    /// must be clean but for the mode's own warnings.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "mode_name")]
    pub mode: Option<Mode>,
    /// `None` for the correct add-on.
    #[serde(serialize_with = "fault_name")]
    pub fault: Option<Fault>,
    /// Faults switched on together with `fault`: an early one and an independent later one,
    /// each of which must be caught.
    #[serde(skip_serializing_if = "Vec::is_empty", serialize_with = "fault_names")]
    pub also: Vec<Fault>,
    /// How many resources the reference add-on still held when the run was over.
    pub leftover_count: usize,
    /// The checks the fault is meant to break.
    pub expected: Vec<&'static str>,
    /// The checks that failed or warned.
    pub failed: BTreeSet<String>,
    /// Expected checks that did not fail: the fault went uncaught.
    pub missed: Vec<&'static str>,
    /// Checks that failed though neither targeted nor declared collateral.
    pub unrelated: Vec<String>,
    /// Resources the run left on the add-on.
    pub leftovers: Vec<String>,
    /// Why the run could not happen at all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

fn fault_names<S: serde::Serializer>(faults: &[Fault], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(faults.iter().map(Fault::name))
}

fn mode_name<S: serde::Serializer>(mode: &Option<Mode>, serializer: S) -> Result<S::Ok, S::Error> {
    match mode {
        Some(mode) => serializer.serialize_str(mode.name()),
        None => serializer.serialize_none(),
    }
}

fn fault_name<S: serde::Serializer>(
    fault: &Option<Fault>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match fault {
        Some(fault) => serializer.serialize_str(fault.name()),
        None => serializer.serialize_str("none"),
    }
}

impl Row {
    pub fn passed(&self) -> bool {
        self.missed.is_empty()
            && self.unrelated.is_empty()
            && self.leftovers.is_empty()
            && self.error.is_none()
    }
}

/// The whole matrix.
#[derive(Debug, Clone, Serialize)]
pub struct Matrix {
    pub schema: &'static str,
    pub seed: u64,
    pub rows: Vec<Row>,
    #[serde(skip)]
    pub duration: Duration,
}

impl Matrix {
    pub fn passed(&self) -> bool {
        self.rows.iter().all(Row::passed)
    }

    /// The matrix as people read it: one line per row, problems spelled out.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for row in &self.rows {
            let faults: Vec<&str> = row
                .fault
                .iter()
                .chain(&row.also)
                .map(|fault| fault.name())
                .collect();
            let fault = match (row.mode, faults.is_empty()) {
                (None, true) => "(correct)".to_string(),
                (None, false) => faults.join(" + "),
                (Some(mode), true) => format!("(correct: {mode})"),
                (Some(mode), false) => format!("({mode}) {}", faults.join(" + ")),
            };
            let target = format!("{} {:?}", row.platform, row.sso).to_ascii_lowercase();
            let verdict = if row.passed() { "ok  " } else { "FAIL" };
            let caught = if row.fault.is_some() {
                format!("caught by {}", row.expected.join(", "))
            } else if row.expected.is_empty() {
                format!("{} failures", row.failed.len())
            } else {
                format!("warns on {}", row.expected.join(", "))
            };
            let left = row.leftover_count;
            out.push_str(&format!(
                "{verdict} {target:<14} {fault:<36} {caught}; {left} left provisioned\n"
            ));
            if let Some(error) = &row.error {
                out.push_str(&format!("       could not run: {error}\n"));
            }
            if !row.missed.is_empty() {
                out.push_str(&format!(
                    "       uncaught: {} did not fail\n",
                    row.missed.join(", ")
                ));
            }
            if !row.unrelated.is_empty() {
                out.push_str(&format!(
                    "       unrelated failures: {}\n",
                    row.unrelated.join(", ")
                ));
            }
            if !row.leftovers.is_empty() {
                out.push_str(&format!(
                    "       left provisioned: {}\n",
                    row.leftovers.join(", ")
                ));
            }
        }
        let failed = self.rows.iter().filter(|row| !row.passed()).count();
        out.push_str(&format!(
            "{} rows, {failed} failed, seed {}, {:.1} s\n",
            self.rows.len(),
            self.seed,
            self.duration.as_secs_f64()
        ));
        out
    }
}

/// Faults switched on together: an early fault (a faulty provision answer, or none at all)
/// with an independent later one. Each must be caught: the early one must not hide the later.
/// A numeric id is no fault but a design (a mode), combined the same way below.
const COMBINED: &[&[Fault]] = &[
    &[Fault::NullConfig, Fault::DeprovisionLooksUpBeforeAuth],
    &[Fault::ProvisionFails, Fault::PlanChangeSkipsAuth],
    &[Fault::ProvisionWithoutId, Fault::AcceptsWrongPassword],
    &[Fault::NewAppAnswered200, Fault::SsoIgnoresTimestamp],
    &[
        Fault::ProvisionHtmlBody,
        Fault::DeprovisionLooksUpBeforeAuth,
    ],
];

/// Modes switched on together with faults: an unusual design must not hide a fault either.
const COMBINED_WITH_MODE: &[(Mode, &[Fault])] = &[
    (Mode::NumericIds, &[Fault::SsoAcceptsAnyToken]),
    (Mode::RedirectRefusal, &[Fault::SsoIgnoresTimestamp]),
    // A valid login sent away like a refused one is no working login.
    (Mode::RedirectRefusal, &[Fault::SsoRefusesValidLogins]),
];

/// Where two matrices of the same rows disagree: the rows whose failed checks differ, each as
/// a line naming the row and both sets.
pub fn verdict_differences(left: &Matrix, right: &Matrix) -> Vec<String> {
    let key = |row: &Row| {
        (
            row.platform,
            row.sso,
            row.mode,
            row.fault.map(|fault| fault.name()),
            row.also.clone(),
        )
    };
    let mut differences = Vec::new();
    for row in &left.rows {
        let other = right.rows.iter().find(|other| key(other) == key(row));
        let name = format!(
            "{} {:?} {}{}",
            row.platform,
            row.sso,
            row.mode.map_or(String::new(), |mode| format!("({mode}) ")),
            row.fault.map_or("(correct)", |fault| fault.name())
        ) + &row
            .also
            .iter()
            .map(|fault| format!(" + {}", fault.name()))
            .collect::<String>();
        match other {
            None => differences.push(format!("{name}: missing on the right")),
            Some(other) if other.failed != row.failed || other.error != row.error => {
                differences.push(format!(
                    "{name}: {:?} against {:?}",
                    row.failed, other.failed
                ));
            }
            Some(_) => {}
        }
    }
    if right.rows.len() != left.rows.len() {
        differences.push(format!(
            "{} rows against {}",
            left.rows.len(),
            right.rows.len()
        ));
    }
    differences
}

/// The faults a target runs with: every fault of its platform, or only the single sign-on ones
/// on a secondary SSO transport.
fn faults_for(target: Target, primary: bool) -> Vec<Fault> {
    Fault::ALL
        .into_iter()
        .filter(|fault| fault.applies_to(registered(target.platform)))
        .filter(|fault| {
            // A legacy GET login carries one token kind: which kinds are honoured is a question
            // for the form login only.
            primary
                || fault
                    .proves()
                    .iter()
                    .any(|id| id.starts_with("sso.") && *id != "sso.token-kinds")
        })
        .collect()
}

/// Runs the correct add-on and every fault on every target of `platforms`, each run with the
/// engine's default concurrency.
pub async fn run_matrix(platforms: &[Platform], seed: u64) -> Matrix {
    run_matrix_showing(platforms, seed, &Progress::hidden()).await
}

/// [`run_matrix`], with each finished row shown on `progress`.
pub async fn run_matrix_showing(platforms: &[Platform], seed: u64, progress: &Progress) -> Matrix {
    matrix(platforms, seed, http_runner::DEFAULT_CONCURRENCY, progress).await
}

/// [`run_matrix`] with each run sending at most `concurrency` requests at once: the verdicts
/// must not depend on it.
pub async fn run_matrix_at(platforms: &[Platform], seed: u64, concurrency: usize) -> Matrix {
    matrix(platforms, seed, concurrency, &Progress::hidden()).await
}

async fn matrix(
    platforms: &[Platform],
    seed: u64,
    concurrency: usize,
    progress: &Progress,
) -> Matrix {
    let started = Instant::now();
    let done = Arc::new(AtomicUsize::new(0));
    let permits = Arc::new(Semaphore::new(PARALLEL_RUNS));
    let mut cells = Vec::new();
    let mut seen_platforms = BTreeSet::new();
    for target in targets(platforms) {
        let primary = seen_platforms.insert(target.platform);
        let on_target = |faults: &[Fault]| {
            faults
                .iter()
                .all(|f| f.applies_to(registered(target.platform)))
        };
        cells.push((target, None, Vec::new()));
        cells.extend(
            faults_for(target, primary)
                .into_iter()
                .map(|fault| (target, None, vec![fault])),
        );
        if primary {
            cells.extend(
                COMBINED
                    .iter()
                    .filter(|faults| on_target(faults))
                    .map(|faults| (target, None, faults.to_vec())),
            );
            let mode_here =
                |mode: &Mode| reference_addon::platforms_in(*mode).contains(&target.platform);
            cells.extend(
                Mode::ALL
                    .into_iter()
                    .filter(mode_here)
                    .map(|mode| (target, Some(mode), Vec::new())),
            );
            cells.extend(
                COMBINED_WITH_MODE
                    .iter()
                    .filter(|(mode, faults)| mode_here(mode) && on_target(faults))
                    .map(|(mode, faults)| (target, Some(*mode), faults.to_vec())),
            );
        }
    }
    // Slow faults mostly wait: they start first so they overlap the other quick rows. The rows
    // that run generated sequences keep the processor busy, which would delay the answers the
    // slow rows time, so they run once those are done.
    let runs_model = |faults: &[Fault]| {
        faults.is_empty()
            || faults
                .iter()
                .any(|fault| fault.proves().contains(&MODEL_CHECK))
    };
    cells.sort_by_key(|(_, _, faults)| !faults.iter().any(Fault::is_slow));
    let total = cells.len();
    progress.update(0, total, "matrix rows".to_string());
    let (model, quick): (Vec<_>, Vec<_>) = cells
        .into_iter()
        .partition(|(_, _, faults)| runs_model(faults));
    let spawn = |(target, mode, faults): (Target, Option<Mode>, Vec<Fault>)| {
        let permits = permits.clone();
        let (done, progress) = (done.clone(), progress.clone());
        tokio::spawn(async move {
            let _permit = permits.acquire_owned().await;
            let row = run_row(target, mode, &faults, seed, concurrency).await;
            let finished = done.fetch_add(1, Ordering::Relaxed) + 1;
            let what = if faults.is_empty() {
                "the correct add-on".to_string()
            } else {
                faults
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(" + ")
            } + &mode.map_or(String::new(), |mode| format!(" ({mode})"));
            progress.update(
                finished,
                total,
                format!("matrix rows · {}: {what}", target.platform),
            );
            row
        })
    };
    let mut jobs: Vec<_> = quick.into_iter().map(spawn).collect();
    let mut finished = Vec::new();
    for job in jobs.drain(..) {
        finished.push(job.await);
    }
    jobs.extend(model.into_iter().map(spawn));
    for job in jobs {
        finished.push(job.await);
    }
    let mut rows = Vec::new();
    for joined in finished {
        match joined {
            Ok(row) => rows.push(row),
            Err(error) => rows.push(Row {
                platform: platforms[0],
                sso: SsoTransport::Post,
                mode: None,
                fault: None,
                also: Vec::new(),
                leftover_count: 0,
                expected: Vec::new(),
                failed: BTreeSet::new(),
                missed: Vec::new(),
                unrelated: Vec::new(),
                leftovers: Vec::new(),
                error: Some(format!("the run panicked: {error}")),
            }),
        }
    }
    // Platforms in the order asked for, the rest by name.
    let rank = |platform: Platform| platforms.iter().position(|p| *p == platform);
    rows.sort_by(|a, b| {
        (
            rank(a.platform),
            a.sso,
            a.mode,
            a.fault.map(|f| f.name()),
            &a.also,
        )
            .cmp(&(
                rank(b.platform),
                b.sso,
                b.mode,
                b.fault.map(|f| f.name()),
                &b.also,
            ))
    });
    Matrix {
        schema: "addon-conform/matrix/v1",
        seed,
        rows,
        duration: started.elapsed(),
    }
}

async fn run_row(
    target: Target,
    mode: Option<Mode>,
    faults: &[Fault],
    seed: u64,
    concurrency: usize,
) -> Row {
    let warns = mode.map_or(&[][..], |mode| mode.warns());
    let mut expected: Vec<&'static str> = Vec::new();
    for id in faults.iter().flat_map(Fault::proves).chain(warns) {
        if !expected.contains(id) {
            expected.push(id);
        }
    }
    let collateral: Vec<&str> = faults.iter().flat_map(Fault::collateral).copied().collect();
    let mut row = Row {
        platform: target.platform,
        sso: target.sso,
        mode,
        fault: faults.first().copied(),
        also: faults.iter().skip(1).copied().collect(),
        leftover_count: 0,
        expected: expected.clone(),
        failed: BTreeSet::new(),
        missed: Vec::new(),
        unrelated: Vec::new(),
        leftovers: Vec::new(),
        error: None,
    };
    let dialect = registered(target.platform);
    let mut addon = ReferenceAddon::new(target.platform).sso_transport(target.sso);
    let mut options = RunOptions {
        seed,
        cases: 1,
        legacy_sso: dialect.expectations().legacy_sso_page.is_some(),
        concurrency: Some(concurrency),
        ..RunOptions::default()
    };
    if let Some(mode) = mode {
        // A design shows in generated sequences (a replay after a plan change): as many as a
        // fault that only a sequence shows gets.
        addon = addon.mode(mode);
        options.cases = MODEL_CASES;
    }
    if !faults.is_empty() {
        addon = addon.faults(faults.iter().copied());
        if expected.contains(&MODEL_CHECK) {
            options.cases = MODEL_CASES;
        } else {
            options.skip.push(MODEL_CHECK.to_string());
        }
        if expected.contains(&"provision.async") {
            // The callback never comes: bound the wait for it.
            options.timeout = Some(ROW_DEADLINE);
        }
        if faults.iter().any(Fault::is_slow) {
            // The delay overshoots the platform's own expectation when it has a soft one (the
            // check warns however late past it the answer comes: a sleep only lasts longer
            // under load), else a deadline the run sets, by far.
            match dialect.expectations().deadline_should {
                Some(should) => addon = addon.slow_delay(should + Duration::from_millis(500)),
                None => {
                    options.timeout = Some(ROW_DEADLINE);
                    addon = addon.slow_delay(FAR_BEYOND_THE_DEADLINE);
                }
            }
        }
    }
    let running = match addon.start().await {
        Ok(running) => running,
        Err(error) => {
            row.error = Some(format!("the reference add-on did not start: {error}"));
            return row;
        }
    };
    let mut failed_outright = Vec::new();
    let source = Source::new(
        format!("reference-{}.manifest", target.platform),
        running.manifest_json(),
    );
    match dialect.load_manifest(source) {
        Err(diagnostics) => {
            row.failed = diagnostics
                .items
                .iter()
                .map(|d| d.check.to_string())
                .collect();
        }
        Ok(manifest) => {
            match run_suite(dialect, manifest, options, std::future::pending()).await {
                Ok(report) => {
                    row.failed = report
                        .checks
                        .iter()
                        .filter(|check| matches!(check.status, Status::Fail | Status::Warn))
                        .map(|check| check.id.clone())
                        .collect();
                    // A design only bends a `should` rule: failing the check would reject
                    // a correct provider.
                    failed_outright.extend(
                        report
                            .checks
                            .iter()
                            .filter(|check| check.status == Status::Fail)
                            .filter(|check| warns.contains(&check.id.as_str()))
                            .map(|check| format!("{} (failed; the design only warns)", check.id)),
                    );
                }
                Err(error) => row.error = Some(error.to_string()),
            }
        }
    }
    let live = running.live_resources();
    row.leftover_count = live.len();
    if !faults.iter().any(Fault::leaves_resources) {
        row.leftovers = live;
    }
    running.shutdown().await;
    row.missed = expected
        .iter()
        .copied()
        .filter(|id| !row.failed.contains(*id))
        .collect();
    row.unrelated = row
        .failed
        .iter()
        .filter(|id| !expected.contains(&id.as_str()) && !collateral.contains(&id.as_str()))
        .cloned()
        .chain(failed_outright)
        .collect();
    row
}
