//! `cargo xtask bench`: how long the suite takes against a provider across the network.
//!
//! The reference add-on runs behind [`LatencyProxy`] at each round trip asked for. For each,
//! a child process (this binary's `bench-child` task) runs the whole suite in process several
//! times through the proxy and reports each run's wall time, requests and request depth (the
//! longest chain of requests each sent after the one before it was answered, as the engine's
//! transport counts it), and its own peak resident set (`VmHWM` of `/proc/self/status`): the
//! child holds the tester alone, the add-on and the proxy live in the parent. Then the fault
//! matrix runs once on loopback for its wall time. Everything goes to `target/bench.json`.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use addon_conform::selftest::run_matrix_at;
use http_runner::{RunOptions, run_suite};
use manifest_core::{Platform, Source};
use reference_addon::ReferenceAddon;
use serde::{Deserialize, Serialize};

use crate::proxy::LatencyProxy;

/// What `cargo xtask bench` was asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenchOptions {
    pub runs: usize,
    pub round_trips_ms: Vec<u64>,
    pub platforms: Vec<Platform>,
    pub seed: u64,
    pub matrix: bool,
    /// The suite's `--concurrency`.
    pub concurrency: usize,
}

impl Default for BenchOptions {
    fn default() -> Self {
        Self {
            runs: 3,
            round_trips_ms: vec![0, 10, 50],
            // The first registered platform: the one most providers start with.
            platforms: dialects::platforms().take(1).collect(),
            seed: 1,
            matrix: true,
            concurrency: http_runner::DEFAULT_CONCURRENCY,
        }
    }
}

/// One run of the suite, as the child measured it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Measured {
    pub wall_ms: f64,
    pub requests: u64,
    pub request_depth: u64,
    /// Checks that failed: a benchmark of a run that does not pass measures the wrong thing.
    pub failed: Vec<String>,
}

/// What the child reports for all its runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChildReport {
    pub runs: Vec<Measured>,
    /// `VmHWM` of the child, the process that ran the suite and nothing else.
    pub peak_rss_kib: Option<u64>,
    /// What the child's resident set was made of after its runs: pages of the executable and
    /// other mapped files (`RssFile`; most of it in a debug build), and the engine's own
    /// memory, heap and stacks (`RssAnon`).
    pub rss_file_kib: Option<u64>,
    pub rss_anon_kib: Option<u64>,
}

/// One line of the table.
#[derive(Debug, Clone, Serialize)]
pub struct Line {
    pub platform: Platform,
    pub round_trip_ms: u64,
    pub median_wall_ms: f64,
    pub median_requests: u64,
    pub median_request_depth: u64,
    pub peak_rss_kib: Option<u64>,
    pub rss_file_kib: Option<u64>,
    pub rss_anon_kib: Option<u64>,
    pub leftovers: usize,
    pub failed: Vec<String>,
    pub runs: Vec<Measured>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Bench {
    pub schema: &'static str,
    pub seed: u64,
    pub concurrency: usize,
    pub lines: Vec<Line>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matrix_wall_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matrix_rows: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matrix_passed: Option<bool>,
}

/// Where cargo puts its output: `CARGO_TARGET_DIR` when set, else the workspace's `target/`.
fn median<T: Copy + PartialOrd>(values: &mut [T]) -> Option<T> {
    values.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    values.get(values.len() / 2).copied()
}

/// Runs the bench and prints its table; `Ok(false)` when a run did not pass.
pub async fn bench(options: &BenchOptions) -> Result<bool, String> {
    let target = crate::cargo_target_dir()?;
    let work = target.join("bench");
    std::fs::create_dir_all(&work)
        .map_err(|error| format!("cannot create {}: {error}", work.display()))?;
    let mut lines = Vec::new();
    for &platform in &options.platforms {
        for &round_trip in &options.round_trips_ms {
            lines.push(measure(platform, round_trip, options, &work).await?);
        }
    }
    let mut bench = Bench {
        schema: "addon-conform/bench/v1",
        seed: options.seed,
        concurrency: options.concurrency,
        lines,
        matrix_wall_ms: None,
        matrix_rows: None,
        matrix_passed: None,
    };
    if options.matrix {
        let started = Instant::now();
        let matrix = run_matrix_at(
            &dialects::platforms().collect::<Vec<_>>(),
            options.seed,
            options.concurrency,
        )
        .await;
        bench.matrix_wall_ms = Some(started.elapsed().as_secs_f64() * 1000.0);
        bench.matrix_rows = Some(matrix.rows.len());
        bench.matrix_passed = Some(matrix.passed());
    }
    print!("{}", table(&bench, options.runs));
    let path = target.join("bench.json");
    let json = serde_json::to_string_pretty(&bench).map_err(|error| error.to_string())?;
    std::fs::write(&path, json)
        .map_err(|error| format!("cannot write {}: {error}", path.display()))?;
    println!("written to {}", path.display());
    let passed = bench
        .lines
        .iter()
        .all(|line| line.failed.is_empty() && line.leftovers == 0)
        && bench.matrix_passed != Some(false);
    Ok(passed)
}

fn table(bench: &Bench, runs: usize) -> String {
    let mut out = format!(
        "{:<9} {:>6} {:>12} {:>9} {:>7} {:>9}\n",
        "platform", "rtt", "wall", "requests", "depth", "peak RSS"
    );
    for line in &bench.lines {
        let rss = line.peak_rss_kib.map_or_else(
            || "?".to_string(),
            |kib| format!("{:.1} MiB", kib as f64 / 1024.0),
        );
        out.push_str(&format!(
            "{:<9} {:>3} ms {:>9.0} ms {:>9} {:>7} {:>9}\n",
            line.platform.to_string(),
            line.round_trip_ms,
            line.median_wall_ms,
            line.median_requests,
            line.median_request_depth,
            rss
        ));
        if let (Some(file), Some(anon)) = (line.rss_file_kib, line.rss_anon_kib) {
            out.push_str(&format!(
                "          resident after the runs: {:.1} MiB executable and mapped files, {:.1} MiB heap and stacks\n",
                file as f64 / 1024.0,
                anon as f64 / 1024.0
            ));
        }
        if !line.failed.is_empty() {
            out.push_str(&format!("          failed: {}\n", line.failed.join(", ")));
        }
        if line.leftovers > 0 {
            out.push_str(&format!(
                "          left {} resource(s) provisioned\n",
                line.leftovers
            ));
        }
    }
    out.push_str(&format!(
        "concurrency {}; wall, requests and depth: medians of {runs} run(s); depth: the longest chain of requests \
         each sent after the one before it was answered; peak RSS: VmHWM of the process running \
         the suite\n",
        bench.concurrency
    ));
    if let (Some(wall), Some(rows), Some(passed)) =
        (bench.matrix_wall_ms, bench.matrix_rows, bench.matrix_passed)
    {
        let verdict = if passed { "passed" } else { "FAILED" };
        out.push_str(&format!(
            "fault matrix on loopback: {rows} rows in {:.1} s ({verdict})\n",
            wall / 1000.0
        ));
    }
    out
}

/// Measures one platform at one round trip: the add-on and the proxy here, the suite in a
/// child process.
async fn measure(
    platform: Platform,
    round_trip_ms: u64,
    options: &BenchOptions,
    work: &Path,
) -> Result<Line, String> {
    let addon = ReferenceAddon::new(platform)
        .start()
        .await
        .map_err(|error| format!("cannot start the reference add-on: {error}"))?;
    let proxy = LatencyProxy::start(addon.addr(), Duration::from_millis(round_trip_ms))
        .await
        .map_err(|error| format!("cannot start the proxy: {error}"))?;
    let manifest = addon.manifest_json().replace(
        &format!("http://{}", addon.addr()),
        &format!("http://{}", proxy.addr()),
    );
    let manifest_path = work.join(format!("{platform}-{round_trip_ms}ms.manifest"));
    std::fs::write(&manifest_path, manifest)
        .map_err(|error| format!("cannot write {}: {error}", manifest_path.display()))?;
    let exe = std::env::current_exe().map_err(|error| error.to_string())?;
    let output = tokio::process::Command::new(exe)
        .arg("bench-child")
        .arg(platform.to_string())
        .arg(&manifest_path)
        .arg(options.runs.to_string())
        .arg(options.seed.to_string())
        .arg(options.concurrency.to_string())
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .await
        .map_err(|error| format!("cannot run the bench child: {error}"))?;
    let leftovers = addon.live_resources().len();
    drop(proxy);
    addon.shutdown().await;
    if !output.status.success() {
        return Err(format!("the bench child failed: {}", output.status));
    }
    let child: ChildReport = serde_json::from_slice(&output.stdout)
        .map_err(|error| format!("cannot read the bench child's report: {error}"))?;
    let mut walls: Vec<f64> = child.runs.iter().map(|run| run.wall_ms).collect();
    let mut requests: Vec<u64> = child.runs.iter().map(|run| run.requests).collect();
    let mut depths: Vec<u64> = child.runs.iter().map(|run| run.request_depth).collect();
    let mut failed: Vec<String> = child
        .runs
        .iter()
        .flat_map(|run| run.failed.iter().cloned())
        .collect();
    failed.sort();
    failed.dedup();
    Ok(Line {
        platform,
        round_trip_ms,
        median_wall_ms: median(&mut walls).unwrap_or_default(),
        median_requests: median(&mut requests).unwrap_or_default(),
        median_request_depth: median(&mut depths).unwrap_or_default(),
        peak_rss_kib: child.peak_rss_kib,
        rss_file_kib: child.rss_file_kib,
        rss_anon_kib: child.rss_anon_kib,
        leftovers,
        failed,
        runs: child.runs,
    })
}

/// The child's side: runs the suite `runs` times against the manifest and prints a
/// [`ChildReport`] as JSON.
pub async fn child(
    platform: Platform,
    manifest_path: &Path,
    runs: usize,
    seed: u64,
    concurrency: usize,
) -> Result<(), String> {
    let dialect = dialects::find(platform).ok_or("the bench platforms are registered")?;
    let text = std::fs::read_to_string(manifest_path)
        .map_err(|error| format!("cannot read {}: {error}", manifest_path.display()))?;
    let mut measured = Vec::new();
    for _ in 0..runs {
        let manifest = dialect
            .load_manifest(Source::new(
                manifest_path.display().to_string(),
                text.clone(),
            ))
            .map_err(|diagnostics| diagnostics.render(false))?;
        let options = RunOptions {
            seed,
            cases: 1,
            concurrency: Some(concurrency),
            ..RunOptions::default()
        };
        let started = Instant::now();
        let report = run_suite(dialect, manifest, options, std::future::pending())
            .await
            .map_err(|error| error.to_string())?;
        let wall_ms = started.elapsed().as_secs_f64() * 1000.0;
        measured.push(Measured {
            wall_ms,
            requests: report.requests,
            request_depth: report.request_depth,
            failed: report
                .checks
                .iter()
                .filter(|check| check.status == manifest_core::report::Status::Fail)
                .map(|check| check.id.clone())
                .collect(),
        });
    }
    let report = ChildReport {
        runs: measured,
        peak_rss_kib: status_kib("VmHWM:"),
        rss_file_kib: status_kib("RssFile:"),
        rss_anon_kib: status_kib("RssAnon:"),
    };
    println!(
        "{}",
        serde_json::to_string(&report).map_err(|error| error.to_string())?
    );
    Ok(())
}

/// A figure of `/proc/self/status` in KiB (`VmHWM:`, the peak resident set), where `/proc`
/// has it.
fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
