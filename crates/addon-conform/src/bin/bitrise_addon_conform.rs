//! `bitrise-addon-conform`: the commands of Bitrise's `bitrise-addon-test`, for providers whose
//! scripts already speak them, with that tester's mistakes fixed: the comprehensive run expects
//! 201 for a new app and 200 for its repeats, `--app-title` sets the title, secrets are never
//! printed, a login is also checked for what it must refuse, and nothing is left provisioned
//! without a record of it in the ledger.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use addon_conform::args::{BaselineArgs, ManifestArgs, ReportFormat, ServerArgs, TestArgs};
use addon_conform::commands::ledger::open_ledger;
use addon_conform::commands::operations::{failed, load, operations};
use addon_conform::{CliError, ColorChoice, Command};
use bitrise_adapter::BUILD_SLUG_OPTION;
use clap::{Args, Parser, Subcommand};
use http_runner::{Deprovisioned, Operations, OperationsOptions};
use manifest_core::{Environment, Resource, Secret, exit};
use serde_json::json;

#[derive(Debug, Parser)]
#[command(
    name = "bitrise-addon-conform",
    version,
    about = "Tests a Bitrise add-on, with the commands of `bitrise-addon-test`",
    long_about = "Tests a Bitrise add-on, with the commands of `bitrise-addon-test`.\n\nWithout a \
                  command, the comprehensive run: the whole suite (provisioning and its repeats, \
                  plan changes, logins and what they must refuse, deprovisioning and its \
                  repeats), on apps of its own that it removes again.",
    max_term_width = 100
)]
struct BitriseCli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Option<BitriseCommand>,
}

#[derive(Debug, Args)]
struct Global {
    /// The config with `addon-url`, `auth-token` and `sso-secret` (YAML, or JSON).
    #[arg(long, global = true, default_value = "config.yaml")]
    config: PathBuf,
    /// The slug of the app [default: a fresh one for `provision`].
    #[arg(long, global = true, value_name = "SLUG")]
    app_slug: Option<String>,
    /// The title of the app `provision` sends [default: derived from the slug].
    #[arg(long, global = true, value_name = "TITLE")]
    app_title: Option<String>,
    /// The app's API token `provision` hands to the add-on [default: a fresh one].
    #[arg(long, global = true, value_name = "TOKEN")]
    api_token: Option<String>,
    /// The build a login comes from (`build_slug` in the login URL).
    #[arg(long, global = true, value_name = "SLUG")]
    build_slug: Option<String>,
    /// The plan to provision [default: free]; for `change-plan` without `--plan-change-to`,
    /// the plan to change to.
    #[arg(long, global = true, value_name = "NAME")]
    plan: Option<String>,
    /// The plan to change to [default: pro].
    #[arg(long, global = true, value_name = "NAME")]
    plan_change_to: Option<String>,
    /// Accepted for `bitrise-addon-test`'s scripts; logins are minted at the current time so
    /// that the window checks mean something.
    #[arg(long, global = true, value_name = "UNIX_SECONDS")]
    timestamp: Option<i64>,
    /// `json` prints the JSON report (or one JSON object for a single operation); `junit`
    /// prints JUnit XML (reports only).
    #[arg(long, global = true, value_enum, default_value_t = ReportFormat::Human)]
    format: ReportFormat,
    /// Seed of the generated inputs [default: random].
    #[arg(long, global = true)]
    seed: Option<u64>,
    /// The ledger that records what is provisioned [default: the user's ledger].
    #[arg(long, global = true, value_name = "PATH")]
    ledger: Option<PathBuf>,
    /// When to colour the output.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
}

#[derive(Debug, Subcommand)]
enum BitriseCommand {
    /// Provision an app; with `-r`, repeat the same provision twice, as Bitrise retries it,
    /// expecting 200 and the same env vars. The app stays provisioned.
    Provision {
        #[arg(short = 'r', long = "retry")]
        retry: bool,
    },
    /// Change the plan of the app `--app-slug`; with `-r`, repeat the change twice.
    ChangePlan {
        #[arg(short = 'r', long = "retry")]
        retry: bool,
    },
    /// Check single sign-on: a valid login of each token kind reaches a page with the Beam
    /// header, and forged, stale and other apps' logins are refused. On `--app-slug` when
    /// given, else on apps provisioned for the purpose and removed again.
    Login,
    /// Deprovision the app `--app-slug`; with `-r`, repeat the delete twice, each answered
    /// with a 2xx.
    Deprovision {
        #[arg(short = 'r', long = "retry")]
        retry: bool,
    },
}

/// How many times `-r` sends an operation in all, as `bitrise-addon-test` does.
const WITH_RETRIES: usize = 3;

const DEFAULT_PLAN: &str = "free";
const DEFAULT_PLAN_CHANGE_TO: &str = "pro";

impl Global {
    fn manifest(&self) -> ManifestArgs {
        ManifestArgs {
            platform: Some(bitrise_adapter::PLATFORM),
            manifest: Some(self.config.clone()),
        }
    }

    fn plan(&self) -> String {
        self.plan.clone().unwrap_or_else(|| DEFAULT_PLAN.into())
    }

    /// The provision options that carry what a login sends besides the app.
    fn login_options(&self) -> Vec<(String, String)> {
        self.build_slug
            .iter()
            .map(|slug| (BUILD_SLUG_OPTION.to_owned(), slug.clone()))
            .collect()
    }

    /// Notes on flags a run does not use, and `why`, so that a script switching over learns
    /// what changed.
    fn note_unused(&self, flags: &[(&str, bool)], why: &str) {
        for (flag, given) in flags {
            if *given {
                eprintln!("note: {flag} is not used here: {why}");
            }
        }
        if self.timestamp.is_some() {
            eprintln!(
                "note: --timestamp is not used: logins are minted at the current time, and the \
                 checks for stale and future logins mint their own"
            );
        }
    }

    /// The suite run behind the comprehensive run and `login`.
    fn suite(&self, only: Option<&str>) -> TestArgs {
        TestArgs {
            manifest: self.manifest(),
            environment: Environment::Test,
            base_url: None,
            sso_url: None,
            only: only.map(str::to_owned).into_iter().collect(),
            skip: Vec::new(),
            plan: Some(self.plan()),
            plan_change_to: Some(
                self.plan_change_to
                    .clone()
                    .unwrap_or_else(|| DEFAULT_PLAN_CHANGE_TO.into()),
            ),
            options: self.login_options(),
            timeout: None,
            max_duration: None,
            format: self.format,
            output: None,
            seed: self.seed,
            cases: 1,
            concurrency: http_runner::DEFAULT_CONCURRENCY as u32,
            resource: None,
            uuid: None,
            sso_window: None,
            legacy_sso: false,
            ledger: self.ledger.clone(),
            server: ServerArgs::default(),
            baseline: BaselineArgs::default(),
        }
    }
}

/// An operation's answer in the chosen format.
fn print_outcome(
    format: ReportFormat,
    human: &str,
    document: serde_json::Value,
) -> Result<(), CliError> {
    match format {
        ReportFormat::Json => {
            let text = serde_json::to_string_pretty(&document)
                .map_err(|error| CliError::io("cannot write the JSON answer", error.into()))?;
            println!("{text}");
        }
        _ => println!("{human}"),
    }
    Ok(())
}

async fn provision(
    global: &Global,
    operations: &Operations<'_>,
    retry: bool,
) -> Result<i32, CliError> {
    let plan = global.plan();
    let mut input = match operations.fresh_input(&plan, BTreeMap::new()) {
        Ok(input) => input,
        Err(error) => return failed(error),
    };
    if let Some(slug) = &global.app_slug {
        input.app_slug.clone_from(slug);
    }
    input.app_name = global
        .app_title
        .clone()
        .unwrap_or_else(|| format!("Title of app {}", input.app_slug));
    if let Some(token) = &global.api_token {
        input.api_token = Secret::new(token.clone());
    }
    let first = match operations.provision_input(&input).await {
        Ok(resource) => resource,
        Err(error) => return failed(error),
    };
    eprintln!(
        "provisioned app {} on plan {plan} (201); remove it with `bitrise-addon-conform \
         deprovision --app-slug {}`",
        first.id, first.id
    );
    let sends = if retry { WITH_RETRIES } else { 1 };
    for attempt in 2..=sends {
        match operations.replay_provision(&input).await {
            Ok(replay) if replay.config == first.config => {
                eprintln!("repeat {}: 200 with the same env vars", attempt - 1);
            }
            Ok(replay) => {
                let changed: Vec<&str> = first
                    .config
                    .keys()
                    .chain(replay.config.keys())
                    .filter(|key| first.config.get(*key) != replay.config.get(*key))
                    .map(String::as_str)
                    .collect();
                eprintln!(
                    "error: repeat {}: the env vars changed ({}); a repeated provision must \
                     answer with the same ones",
                    attempt - 1,
                    changed.join(", ")
                );
                return Ok(exit::FAILED);
            }
            Err(error) => return failed(error),
        }
    }
    print_outcome(
        global.format,
        &env_lines(&first),
        json!({"app_slug": first.id, "plan": plan, "envs": first.config, "sent": sends}),
    )?;
    Ok(exit::PASSED)
}

fn env_lines(resource: &Resource) -> String {
    let mut lines = vec!["→ OK".to_owned()];
    lines.extend(
        resource
            .config
            .iter()
            .map(|(key, value)| format!("{key}={value}")),
    );
    lines.join("\n")
}

/// The app a command on an existing app is about.
fn named_app(global: &Global, command: &str) -> Result<String, CliError> {
    global.app_slug.clone().ok_or_else(|| {
        CliError::usage(format!(
            "{command} needs --app-slug: the slug of an app provisioned before (a made-up slug \
             has nothing to {command})"
        ))
    })
}

async fn change_plan(
    global: &Global,
    operations: &Operations<'_>,
    retry: bool,
) -> Result<i32, CliError> {
    let slug = named_app(global, "change-plan")?;
    let plan = global
        .plan_change_to
        .clone()
        .or_else(|| global.plan.clone())
        .unwrap_or_else(|| DEFAULT_PLAN_CHANGE_TO.into());
    let sends = if retry { WITH_RETRIES } else { 1 };
    for _ in 0..sends {
        if let Err(error) = operations.change_plan(&slug, &plan).await {
            return failed(error);
        }
    }
    print_outcome(
        global.format,
        "→ OK",
        json!({"app_slug": slug, "plan": plan, "sent": sends}),
    )?;
    Ok(exit::PASSED)
}

async fn deprovision(
    global: &Global,
    operations: &Operations<'_>,
    retry: bool,
) -> Result<i32, CliError> {
    let slug = named_app(global, "deprovision")?;
    let sends = if retry { WITH_RETRIES } else { 1 };
    for attempt in 1..=sends {
        match operations.deprovision(&slug).await {
            Ok(Deprovisioned::Now) => {}
            // Bitrise takes only a success, for an app already gone too.
            Ok(Deprovisioned::AlreadyGone(status)) => {
                let which = if attempt == 1 {
                    "the delete".to_owned()
                } else {
                    format!("repeat {}", attempt - 1)
                };
                eprintln!("error: {which} was answered {status}; Bitrise expects a 2xx");
                return Ok(exit::FAILED);
            }
            Err(error) => return failed(error),
        }
    }
    print_outcome(
        global.format,
        "→ OK",
        json!({"app_slug": slug, "sent": sends}),
    )?;
    Ok(exit::PASSED)
}

/// The commands that send one operation (and, with `-r`, its repeats).
#[derive(Debug, Clone, Copy)]
enum Single {
    Provision,
    ChangePlan,
    Deprovision,
}

async fn operation(global: &Global, single: Single, retry: bool) -> Result<i32, CliError> {
    if matches!(global.format, ReportFormat::Junit | ReportFormat::Html) {
        return Err(CliError::usage(
            "a single operation prints human or json output, not junit or html",
        ));
    }
    let (file, manifest) = load(&global.manifest())?;
    let operations = operations(
        &file,
        manifest,
        OperationsOptions::default(),
        open_ledger(global.ledger.as_deref())?,
    )?;
    match single {
        Single::Provision => provision(global, &operations, retry).await,
        Single::ChangePlan => change_plan(global, &operations, retry).await,
        Single::Deprovision => deprovision(global, &operations, retry).await,
    }
}

fn run(bitrise: BitriseCli) -> Result<i32, CliError> {
    let global = bitrise.global;
    let color = global.color;
    let suite = |args: TestArgs| {
        addon_conform::run(addon_conform::Cli {
            color,
            quiet: false,
            command: Command::Test(Box::new(args)),
        })
    };
    match bitrise.command {
        None => {
            global.note_unused(
                &[
                    ("--app-slug", global.app_slug.is_some()),
                    ("--app-title", global.app_title.is_some()),
                    ("--api-token", global.api_token.is_some()),
                ],
                "the run provisions apps of its own, several at once, and removes them again",
            );
            suite(global.suite(None))
        }
        Some(BitriseCommand::Login) => {
            global.note_unused(
                &[
                    ("--app-title", global.app_title.is_some()),
                    ("--api-token", global.api_token.is_some()),
                ],
                "a login form carries only the app slug, a timestamp and a token",
            );
            let mut args = global.suite(Some("sso.*"));
            args.resource = global.app_slug.clone();
            suite(args)
        }
        Some(BitriseCommand::Provision { retry }) => {
            addon_conform::block_on(operation(&global, Single::Provision, retry))
        }
        Some(BitriseCommand::ChangePlan { retry }) => {
            addon_conform::block_on(operation(&global, Single::ChangePlan, retry))
        }
        Some(BitriseCommand::Deprovision { retry }) => {
            addon_conform::block_on(operation(&global, Single::Deprovision, retry))
        }
    }
}

fn main() -> ExitCode {
    addon_conform::main_of(|bitrise: &BitriseCli| bitrise.global.color, run)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        BitriseCli::command().debug_assert();
    }

    #[test]
    fn the_testers_vocabulary_parses() {
        let provision = BitriseCli::try_parse_from([
            "bitrise-addon-conform",
            "--config",
            "other.yaml",
            "provision",
            "-r",
            "--app-slug",
            "abc123",
            "--app-title",
            "My App",
            "--api-token",
            "tok",
            "--plan",
            "developer",
        ])
        .unwrap();
        assert_eq!(provision.global.config, PathBuf::from("other.yaml"));
        assert_eq!(provision.global.app_slug.as_deref(), Some("abc123"));
        assert_eq!(provision.global.app_title.as_deref(), Some("My App"));
        assert_eq!(provision.global.plan(), "developer");
        assert!(matches!(
            provision.command,
            Some(BitriseCommand::Provision { retry: true })
        ));
        let root = BitriseCli::try_parse_from([
            "bitrise-addon-conform",
            "--build-slug",
            "b1",
            "--timestamp",
            "1700000000",
            "--format",
            "json",
        ])
        .unwrap();
        assert!(root.command.is_none());
        assert_eq!(root.global.format, ReportFormat::Json);
        for command in ["change-plan", "login", "deprovision"] {
            assert!(
                BitriseCli::try_parse_from(["bitrise-addon-conform", command]).is_ok(),
                "{command}"
            );
        }
    }

    #[test]
    fn the_comprehensive_run_is_the_whole_suite_with_the_plans_and_build() {
        let root = BitriseCli::try_parse_from([
            "bitrise-addon-conform",
            "--plan",
            "developer",
            "--build-slug",
            "b1",
        ])
        .unwrap();
        let args = root.global.suite(None);
        assert!(args.only.is_empty() && args.skip.is_empty());
        assert_eq!(args.manifest.platform, Some(bitrise_adapter::PLATFORM));
        assert_eq!(args.manifest.manifest, Some(PathBuf::from("config.yaml")));
        assert_eq!(args.plan.as_deref(), Some("developer"));
        assert_eq!(args.plan_change_to.as_deref(), Some("pro"));
        assert_eq!(args.options, [("build_slug".to_owned(), "b1".to_owned())]);
    }

    #[test]
    fn change_plan_takes_the_testers_plan_flag_as_its_target() {
        let parse = |args: &[&str]| {
            let mut all = vec!["bitrise-addon-conform", "change-plan"];
            all.extend_from_slice(args);
            BitriseCli::try_parse_from(all).unwrap().global
        };
        let target = |global: &Global| {
            global
                .plan_change_to
                .clone()
                .or_else(|| global.plan.clone())
                .unwrap_or_else(|| DEFAULT_PLAN_CHANGE_TO.into())
        };
        assert_eq!(target(&parse(&[])), "pro");
        assert_eq!(target(&parse(&["--plan", "developer"])), "developer");
        assert_eq!(
            target(&parse(&["--plan", "developer", "--plan-change-to", "team"])),
            "team"
        );
        assert!(named_app(&parse(&[]), "change-plan").is_err());
    }
}
