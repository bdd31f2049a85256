//! Project tasks, run with `cargo xtask TASK`.
//!
//! `conformance` runs the whole suite in-process against the reference add-on, once per variant
//! of it, and fails unless every check passes and nothing is left provisioned. `bench` measures
//! the suite against the reference add-on across a simulated network.

mod bench;
mod codegen;
mod fuzz;
mod proxy;

use std::io;
use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::Instant;

use addon_conform::ColorChoice;
use addon_conform::commands::test::{ctrl_c, random_seed};
use addon_conform::render::{human, summary_line};
use addon_conform::selftest::{Target, run_matrix, run_matrix_at, targets, verdict_differences};
use http_runner::{RunOptions, run_suite};
use manifest_core::{Platform, Source, SsoTransport};
use reference_addon::ReferenceAddon;

const USAGE: &str = "\
usage: cargo xtask TASK

tasks:
  conformance [--seed N]   run the suite against the reference add-on of every registered
                           platform (with each of its single sign-on transports), correct and
                           with every fault; fail unless the correct add-on passes every check
                           and each fault is caught by the checks meant for it and by no other.
                           The matrix is also written to conformance-matrix.json in cargo's
                           target directory
  bench [--runs N] [--round-trips MS,MS,..] [--platforms P,P,..] [--seed N] [--no-matrix]
        [--concurrency N]
                           run the suite against the reference add-on behind a loopback proxy
                           that adds each round trip (default 0,10,50 ms; Heroku; 3 runs), print
                           wall time, requests, request depth and peak RSS per round trip and the
                           fault matrix's wall time, and write target/bench.json
  same-verdicts [--seed N] [--at A,B]
                           run the fault matrix at two concurrencies (default 1 and 16) and
                           fail unless every row has the same failed checks at both
  codegen [--check]        regenerate docs/checks.md from the catalog and the faults; with
                           --check, fail when it is stale instead
  tidy                     check the repository's conventions: every check explained, sourced,
                           proven by a fault and documented
  fuzz [--seconds N] [--target T]...
                           run each cargo-fuzz target of fuzz/ (or the ones named) for N
                           seconds (default 60), one after another, seeded with the committed
                           corpus; print each one's executions and crashes and fail on a
                           crash. Needs nightly and cargo-fuzz (`cargo install cargo-fuzz`)
  dist                     build the four binaries and write their man pages into
                           dist/man/ and addon-conform's completions (bash, zsh, fish) into
                           dist/completions/, in cargo's target directory
  help                     print this
";

#[derive(Debug, PartialEq, Eq)]
enum Task {
    Conformance {
        seed: Option<u64>,
    },
    Bench(bench::BenchOptions),
    SameVerdicts {
        seed: u64,
        at: (usize, usize),
    },
    /// The measuring half of `bench`, run as a child process of it.
    BenchChild {
        platform: Platform,
        manifest: PathBuf,
        runs: usize,
        seed: u64,
        concurrency: usize,
    },
    Codegen {
        check: bool,
    },
    Tidy,
    Dist,
    Fuzz(fuzz::FuzzOptions),
    Help,
}

fn parse(args: &[String]) -> Result<Task, String> {
    let Some((task, rest)) = args.split_first() else {
        return Ok(Task::Help);
    };
    match task.as_str() {
        "help" | "--help" | "-h" => Ok(Task::Help),
        "conformance" => {
            let mut seed = None;
            let mut rest = rest.iter();
            while let Some(arg) = rest.next() {
                match arg.as_str() {
                    "--seed" => {
                        let value = rest.next().ok_or("--seed needs a number")?;
                        seed = Some(
                            value
                                .parse()
                                .map_err(|_| format!("--seed: `{value}` is not a number"))?,
                        );
                    }
                    other => return Err(format!("conformance: unexpected argument `{other}`")),
                }
            }
            Ok(Task::Conformance { seed })
        }
        "bench" => parse_bench(rest).map(Task::Bench),
        "same-verdicts" => {
            let mut seed = 1;
            let mut at = (1, 16);
            let mut rest = rest.iter();
            while let Some(arg) = rest.next() {
                let value = rest.next().ok_or(format!("{arg} needs a value"))?;
                match arg.as_str() {
                    "--seed" => seed = number(arg, value)?,
                    "--at" => {
                        let (left, right) = value
                            .split_once(',')
                            .ok_or("--at takes two concurrencies, A,B")?;
                        at = (number(arg, left)?, number(arg, right)?);
                    }
                    other => return Err(format!("same-verdicts: unexpected argument `{other}`")),
                }
            }
            Ok(Task::SameVerdicts { seed, at })
        }
        "bench-child" => match rest {
            [platform, manifest, runs, seed, concurrency] => Ok(Task::BenchChild {
                platform: dialects::named(platform)?.platform(),
                manifest: PathBuf::from(manifest),
                runs: number("runs", runs)?,
                seed: number("seed", seed)?,
                concurrency: number("concurrency", concurrency)?,
            }),
            _ => Err("bench-child takes PLATFORM MANIFEST RUNS SEED CONCURRENCY".into()),
        },
        "codegen" => match rest {
            [] => Ok(Task::Codegen { check: false }),
            [flag] if flag == "--check" => Ok(Task::Codegen { check: true }),
            _ => Err("codegen takes only --check".into()),
        },
        "tidy" if rest.is_empty() => Ok(Task::Tidy),
        "dist" if rest.is_empty() => Ok(Task::Dist),
        "fuzz" => fuzz::parse(rest).map(Task::Fuzz),
        other => Err(format!("unknown task `{other}`")),
    }
}

fn number<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("{flag}: `{value}` is not a number"))
}

fn parse_bench(args: &[String]) -> Result<bench::BenchOptions, String> {
    let mut options = bench::BenchOptions::default();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .map(String::as_str)
                .ok_or(format!("{arg} needs a value"))
        };
        match arg.as_str() {
            "--runs" => options.runs = number::<usize>(arg, value()?)?.max(1),
            "--seed" => options.seed = number(arg, value()?)?,
            "--round-trips" => {
                options.round_trips_ms = value()?
                    .split(',')
                    .map(|item| number(arg, item.trim()))
                    .collect::<Result<_, _>>()?;
            }
            "--platforms" => {
                options.platforms = value()?
                    .split(',')
                    .map(|item| dialects::named(item.trim()).map(|dialect| dialect.platform()))
                    .collect::<Result<_, _>>()?;
            }
            "--no-matrix" => options.matrix = false,
            "--concurrency" => options.concurrency = number::<usize>(arg, value()?)?.max(1),
            other => return Err(format!("bench: unexpected argument `{other}`")),
        }
    }
    Ok(options)
}

/// How a configuration of the reference add-on that must pass every check is named.
fn variant_name(variant: Target) -> String {
    let sso = match variant.sso {
        SsoTransport::Get => "GET",
        SsoTransport::Post => "POST",
    };
    format!(
        "{} reference add-on, {sso} single sign-on",
        variant.platform
    )
}

/// Runs the suite against one variant; `Ok(true)` when every check passed and the add-on was
/// left with no resources. What it has to say is written to `out`, so that variants running
/// side by side still print one after another.
async fn run_variant(
    variant: Target,
    seed: u64,
    color: bool,
    out: &mut String,
) -> Result<bool, String> {
    let addon = ReferenceAddon::new(variant.platform)
        .sso_transport(variant.sso)
        .start()
        .await
        .map_err(|error| format!("cannot start the reference add-on: {error}"))?;
    out.push_str(&format!("== {}\n", variant_name(variant)));
    let dialect = dialects::find(variant.platform).ok_or("every variant is registered")?;
    let source = Source::new(variant_name(variant), addon.manifest_json());
    let manifest = dialect
        .load_manifest(source)
        .map_err(|diagnostics| diagnostics.render(color))?;
    let options = RunOptions {
        seed,
        cases: 1,
        ..RunOptions::default()
    };
    let report = run_suite(dialect, manifest, options, ctrl_c())
        .await
        .map_err(|error| error.to_string())?;
    let leftovers = addon.live_resources();
    addon.shutdown().await;

    out.push_str(&human::render(&report, color));
    if !leftovers.is_empty() {
        out.push_str(&format!(
            "the run left {} resource(s) provisioned: {}\n",
            leftovers.len(),
            leftovers.join(", ")
        ));
    }
    out.push('\n');
    let passed = report.exit_code() == manifest_core::exit::PASSED && leftovers.is_empty();
    if !passed {
        eprintln!("{}: {}", variant_name(variant), summary_line(&report));
    }
    Ok(passed)
}

/// The whole fault matrix at two concurrencies: the same failed checks in every row.
async fn same_verdicts(seed: u64, (left, right): (usize, usize)) -> Result<bool, String> {
    let platforms: Vec<Platform> = dialects::platforms().collect();
    let mut matrices = Vec::new();
    for concurrency in [left, right] {
        let matrix = run_matrix_at(&platforms, seed, concurrency).await;
        println!(
            "concurrency {concurrency}: {} rows, {}, {:.1} s",
            matrix.rows.len(),
            if matrix.passed() { "passed" } else { "FAILED" },
            matrix.duration.as_secs_f64()
        );
        if !matrix.passed() {
            print!("{}", matrix.render());
        }
        matrices.push(matrix);
    }
    let differences = verdict_differences(&matrices[0], &matrices[1]);
    for difference in &differences {
        println!("differs: {difference}");
    }
    let same = differences.is_empty();
    println!(
        "{} verdicts at concurrency {left} and {right} (seed {seed})",
        if same { "the same" } else { "DIFFERENT" }
    );
    Ok(same && matrices.iter().all(|matrix| matrix.passed()))
}

async fn conformance(seed: Option<u64>) -> Result<bool, String> {
    let seed = match seed {
        Some(seed) => seed,
        None => random_seed().map_err(|error| error.to_string())?,
    };
    let color = ColorChoice::Auto.enabled_for(&io::stdout());
    let started = Instant::now();
    let platforms: Vec<Platform> = dialects::platforms().collect();
    let targets = targets(&platforms);
    let variant_count = targets.len();
    // The variants and the matrix rows each run against a reference add-on of their own, so
    // they all run side by side; what they print comes out in order.
    let variants: Vec<_> = targets
        .into_iter()
        .map(|variant| {
            tokio::spawn(async move {
                let mut out = String::new();
                let passed = run_variant(variant, seed, color, &mut out).await;
                (out, passed)
            })
        })
        .collect();
    let matrix = run_matrix(&platforms, seed).await;
    let mut passed = true;
    for variant in variants {
        let (out, variant_passed) = variant
            .await
            .map_err(|error| format!("a variant's run panicked: {error}"))?;
        print!("{out}");
        passed &= variant_passed?;
    }
    println!("== the fault matrix: platform × fault → the checks that caught it");
    print!("{}", matrix.render());
    let json = serde_json::to_string_pretty(&matrix).map_err(|error| error.to_string())?;
    let path = cargo_target_dir()?.join("conformance-matrix.json");
    std::fs::write(&path, json)
        .map_err(|error| format!("cannot write {}: {error}", path.display()))?;
    println!("matrix written to {}", path.display());
    passed &= matrix.passed();
    let verdict = if passed { "passed" } else { "FAILED" };
    println!(
        "conformance {verdict}: {} variants and {} matrix rows, seed {seed}, {:.1} s (replay \
         with `cargo xtask conformance --seed {seed}`)",
        variant_count,
        matrix.rows.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(passed)
}

/// The binaries whose man pages `dist` writes.
const BINARIES: [&str; 4] = [
    "addon-conform",
    "heroku-addon-conform",
    "scalingo-addon-conform",
    "bitrise-addon-conform",
];

/// Builds the binaries, then has each write its own man pages (from its clap definition) and
/// `addon-conform` print its completion scripts.
fn dist() -> Result<Vec<PathBuf>, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let built = Command::new(&cargo)
        .args(["build", "--quiet", "--package", "addon-conform", "--bins"])
        .status()
        .map_err(|error| format!("cannot run cargo build: {error}"))?;
    if !built.success() {
        return Err(format!("cargo build failed ({built})"));
    }
    let target = target_dir(metadata_command())?;
    let bin = |name: &str| target.join("debug").join(name);
    let man = target.join("dist/man");
    let mut written = Vec::new();
    for name in BINARIES {
        let output = Command::new(bin(name))
            .env(addon_conform::docs::MAN_DIR_ENV, &man)
            .output()
            .map_err(|error| format!("cannot run {name}: {error}"))?;
        if !output.status.success() {
            return Err(format!(
                "{name} could not write its man pages: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        written.extend(
            String::from_utf8_lossy(&output.stdout)
                .lines()
                .map(PathBuf::from),
        );
    }
    let completions = target.join("dist/completions");
    std::fs::create_dir_all(&completions)
        .map_err(|error| format!("cannot create {}: {error}", completions.display()))?;
    for (shell, file) in [
        ("bash", "addon-conform.bash"),
        ("zsh", "_addon-conform"),
        ("fish", "addon-conform.fish"),
    ] {
        let output = Command::new(bin("addon-conform"))
            .args(["completions", shell])
            .output()
            .map_err(|error| format!("cannot run addon-conform: {error}"))?;
        if !output.status.success() {
            return Err(format!("addon-conform completions {shell} failed"));
        }
        let path = completions.join(file);
        std::fs::write(&path, output.stdout)
            .map_err(|error| format!("cannot write {}: {error}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

/// `cargo metadata` for this workspace, run by the cargo that runs the task.
fn metadata_command() -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--manifest-path",
        ])
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml"));
    command
}

/// Where cargo builds, as `command` (a `cargo metadata`) reports it: it alone knows every way of
/// moving it (`CARGO_TARGET_DIR`, `build.target-dir` in a config file, `--config`).
/// Where cargo builds, created if missing: `CARGO_TARGET_DIR` and `build.target-dir` respected.
pub(crate) fn cargo_target_dir() -> Result<PathBuf, String> {
    let target = target_dir(metadata_command())?;
    std::fs::create_dir_all(&target)
        .map_err(|error| format!("cannot create {}: {error}", target.display()))?;
    Ok(target)
}

fn target_dir(mut command: Command) -> Result<PathBuf, String> {
    let output = command
        .output()
        .map_err(|error| format!("cannot run cargo metadata: {error}"))?;
    if !output.status.success() {
        return Err(format!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout)
        .map_err(|error| format!("cargo metadata printed no JSON: {error}"))?;
    metadata["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .ok_or_else(|| "cargo metadata names no target_directory".to_string())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match parse(&args) {
        Ok(Task::Help) => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        Ok(Task::Codegen { check }) => match codegen::codegen(check) {
            Ok(stale) if stale.is_empty() => ExitCode::SUCCESS,
            Ok(stale) if check => {
                eprintln!("stale: {} (run `cargo xtask codegen`)", stale.join(", "));
                ExitCode::FAILURE
            }
            Ok(written) => {
                println!("wrote {}", written.join(", "));
                ExitCode::SUCCESS
            }
            Err(message) => {
                eprintln!("error: {message}");
                ExitCode::from(2)
            }
        },
        Ok(Task::Tidy) => {
            let problems = codegen::tidy();
            for problem in &problems {
                eprintln!("{problem}");
            }
            if problems.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Ok(Task::Dist) => match dist() {
            Ok(written) => {
                for path in written {
                    println!("{}", path.display());
                }
                ExitCode::SUCCESS
            }
            Err(message) => {
                eprintln!("error: {message}");
                ExitCode::FAILURE
            }
        },
        Ok(Task::Fuzz(options)) => match fuzz::fuzz(&options) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::FAILURE,
            Err(message) => {
                eprintln!("error: {message}");
                ExitCode::from(2)
            }
        },
        Ok(Task::Conformance { seed }) => block_on(conformance(seed)),
        Ok(Task::SameVerdicts { seed, at }) => block_on(same_verdicts(seed, at)),
        Ok(Task::Bench(options)) => block_on(async move { bench::bench(&options).await }),
        Ok(Task::BenchChild {
            platform,
            manifest,
            runs,
            seed,
            concurrency,
        }) => block_on(async move {
            bench::child(platform, &manifest, runs, seed, concurrency)
                .await
                .map(|()| true)
        }),
        Err(message) => {
            eprintln!("error: {message}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// Runs a task on a fresh runtime: success, failure, or an error that stopped it (exit 2).
fn block_on(task: impl Future<Output = Result<bool, String>>) -> ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(task) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn parses_tasks() {
        assert_eq!(parse(&args(&[])), Ok(Task::Help));
        assert_eq!(
            parse(&args(&["conformance"])),
            Ok(Task::Conformance { seed: None })
        );
        assert_eq!(
            parse(&args(&["conformance", "--seed", "7"])),
            Ok(Task::Conformance { seed: Some(7) })
        );
        assert!(parse(&args(&["conformance", "--seed"])).is_err());
        assert!(parse(&args(&["conformance", "--seed", "x"])).is_err());
        assert_eq!(
            parse(&args(&["bench"])),
            Ok(Task::Bench(bench::BenchOptions::default()))
        );
        assert_eq!(
            parse(&args(&[
                "bench",
                "--runs",
                "1",
                "--round-trips",
                "0,50",
                "--platforms",
                "heroku,bitrise",
                "--no-matrix"
            ])),
            Ok(Task::Bench(bench::BenchOptions {
                runs: 1,
                round_trips_ms: vec![0, 50],
                platforms: vec![Platform::new("heroku"), Platform::new("bitrise")],
                seed: 1,
                matrix: false,
                concurrency: http_runner::DEFAULT_CONCURRENCY,
            }))
        );
        assert!(parse(&args(&["bench", "--runs", "x"])).is_err());
        assert_eq!(
            parse(&args(&["same-verdicts", "--at", "2,32"])),
            Ok(Task::SameVerdicts {
                seed: 1,
                at: (2, 32)
            })
        );
        assert!(parse(&args(&["bench", "--platforms", "nowhere"])).is_err());
        assert_eq!(
            parse(&args(&["codegen", "--check"])),
            Ok(Task::Codegen { check: true })
        );
        assert_eq!(parse(&args(&["tidy"])), Ok(Task::Tidy));
        assert_eq!(parse(&args(&["dist"])), Ok(Task::Dist));
        assert_eq!(
            parse(&args(&["fuzz", "--seconds", "5"])),
            Ok(Task::Fuzz(fuzz::FuzzOptions {
                seconds: 5,
                targets: Vec::new(),
            }))
        );
    }

    #[test]
    fn the_matrix_goes_where_cargo_builds() {
        let elsewhere = std::env::temp_dir().join("xtask-target-elsewhere");
        let mut from_env = metadata_command();
        from_env.env("CARGO_TARGET_DIR", &elsewhere);
        assert_eq!(target_dir(from_env), Ok(elsewhere.clone()));

        // `build.target-dir` of a config file, which cargo also reads from the environment.
        let mut from_config = metadata_command();
        from_config
            .env_remove("CARGO_TARGET_DIR")
            .env("CARGO_BUILD_TARGET_DIR", &elsewhere);
        assert_eq!(target_dir(from_config), Ok(elsewhere));
    }

    #[test]
    fn generated_files_are_current() {
        assert_eq!(
            codegen::codegen(true),
            Ok(Vec::new()),
            "run `cargo xtask codegen` and commit the result"
        );
    }

    /// Adding a check without an explanation, a source, a fault that proves it and its place
    /// in the docs fails the build.
    #[test]
    fn the_repository_is_tidy() {
        let problems = codegen::tidy();
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }
}
