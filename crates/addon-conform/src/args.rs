//! The command line of `addon-conform`, as clap types. The per-platform binaries reuse the
//! argument groups and value parsers defined here.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand, ValueEnum};
use manifest_core::{Environment, Platform, SsoTransport};
use reference_addon::Fault;
use url::Url;

#[derive(Debug, Parser)]
#[command(
    name = "addon-conform",
    version,
    about = "Tests whether an add-on provider speaks a PaaS marketplace's provisioning protocol",
    max_term_width = 100
)]
pub struct Cli {
    /// When to colour the output: `auto` on a terminal unless `NO_COLOR` is set.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,

    /// No progress line on standard error (it is shown only on a terminal anyway).
    #[arg(long, short, global = true)]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a manifest skeleton with a freshly generated password and SSO salt.
    Init(InitArgs),
    /// Work with manifests without contacting the provider.
    #[command(subcommand)]
    Manifest(ManifestCommand),
    /// Run the conformance suite against a provider.
    Test(Box<TestArgs>),
    /// List the check catalog.
    Checks(ChecksArgs),
    /// Explain one check: what it verifies, where the rule comes from, which fault proves it.
    Explain(ExplainArgs),
    /// Serve the built-in reference add-on, optionally with faults, until Ctrl-C.
    ServeReference(ServeReferenceArgs),
    /// Print a fresh single sign-on login for a resource, to open in a browser.
    Sso(SsoArgs),
    /// Provision one resource, run a command with its config vars, then change its plan and
    /// deprovision it.
    Run(RunArgs),
    /// Provision one resource and print its id and config vars; it stays until deprovisioned.
    Provision(ProvisionArgs),
    /// Move one resource to another plan.
    PlanChange(PlanChangeArgs),
    /// Delete one resource.
    Deprovision(DeprovisionArgs),
    /// The record of what was provisioned and not yet deprovisioned.
    #[command(subcommand)]
    Ledger(LedgerCommand),
    /// Run the failing sequences a JSON report saved (`lifecycle.model`) again, and say of each
    /// whether it is FIXED or STILL FAILING.
    Replay(ReplayArgs),
    /// Run provision, plan change and deprovision cycles from many clients at once, and report
    /// each operation's latencies against the platform's deadlines.
    Load(LoadArgs),
    /// Run the suite against the built-in reference add-on, correct and with every fault, and
    /// print which checks caught which fault.
    Selftest(SelftestArgs),
    /// Print the shell completion script (`source <(addon-conform completions bash)`).
    Completions(CompletionsArgs),
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// List the resources that may still exist on a provider.
    List(LedgerListArgs),
    /// Remove every resource the ledger still holds, reloading credentials from each entry's
    /// manifest. Run it while no `test` is recording into the same ledger.
    Cleanup(LedgerCleanupArgs),
}

#[derive(Debug, Subcommand)]
pub enum ManifestCommand {
    /// Check a manifest against the platform's static rules.
    Check(ManifestCheckArgs),
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The platform the manifest is for.
    #[arg(long, value_parser = platform_parser())]
    pub platform: Platform,
    /// Where to write it [default: the platform's manifest file name].
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// How single sign-on reaches the provider, where the platform has two ways (`post` to an
    /// `sso_url`, or the legacy `get`).
    #[arg(long, value_enum)]
    pub sso: Option<SsoArg>,
    /// Overwrite an existing file (its password and salt are replaced).
    #[arg(long)]
    pub force: bool,
}

/// Which manifest a command reads.
#[derive(Debug, Clone, Args)]
pub struct ManifestArgs {
    /// The platform [default: inferred from the manifest].
    #[arg(long, value_parser = platform_parser())]
    pub platform: Option<Platform>,
    /// The manifest [default: the platform's manifest file in the current directory].
    #[arg(long, short)]
    pub manifest: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ManifestCheckArgs {
    #[command(flatten)]
    pub manifest: ManifestArgs,
    /// `json` prints the diagnostics with their line and column, for editors and scripts.
    #[arg(long, value_enum, default_value_t = ManifestFormat::Human)]
    pub format: ManifestFormat,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    #[command(flatten)]
    pub manifest: ManifestArgs,
    /// Which of the manifest's environments to target.
    #[arg(long = "env", value_parser = environment_parser(), default_value = "test")]
    pub environment: Environment,
    /// Send provisioning calls here instead of the manifest's URL.
    #[arg(long, value_parser = parse_http_url)]
    pub base_url: Option<Url>,
    /// Send single sign-on logins here instead of the manifest's URL.
    #[arg(long, value_parser = parse_http_url)]
    pub sso_url: Option<Url>,
    /// Run only the checks whose id matches (`*` matches anything); repeatable.
    #[arg(long, value_name = "GLOB")]
    pub only: Vec<String>,
    /// Skip the checks whose id matches (`*` matches anything); repeatable.
    #[arg(long, value_name = "GLOB")]
    pub skip: Vec<String>,
    /// The plan to provision [default: the platform's usual test plan].
    #[arg(long, value_name = "NAME")]
    pub plan: Option<String>,
    /// The plan to change to [default: the platform's usual second plan].
    #[arg(long, value_name = "NAME")]
    pub plan_change_to: Option<String>,
    /// A provision option sent with every provision; repeatable.
    #[arg(long = "option", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub options: Vec<(String, String)>,
    /// Deadline for every request, in seconds, instead of the platform's.
    #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
    pub timeout: Option<Duration>,
    /// Deadline for the whole run, in seconds [default: 12 request deadlines per case, plus one
    /// asynchronous wait: 6 minutes with 25 s requests]; the run then cleans up and reports
    /// which checks did not finish.
    #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
    pub max_duration: Option<Duration>,
    /// The report format: text for people, the JSON report, JUnit XML, or an HTML page.
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub format: ReportFormat,
    /// Write the report here instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Seed of the generated inputs; the same seed replays the same run [default: random].
    #[arg(long)]
    pub seed: Option<u64>,
    /// How many times the generated part of the suite repeats: each case is one more provision
    /// of generated inputs and 32 more generated sequences of operations (`lifecycle.model`).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub cases: u32,
    /// At most this many requests in flight to the provider at once (the identical copies of
    /// a concurrent-replay check excepted, which go out together and alone); 1 sends strictly
    /// one request after another. Verdicts are the same at every value.
    #[arg(long, value_name = "N", default_value_t = http_runner::DEFAULT_CONCURRENCY as u32,
          value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub concurrency: u32,
    /// Run the checks that need a resource against this existing resource id.
    #[arg(long, value_name = "ID")]
    pub resource: Option<String>,
    /// The platform's id of the --resource (its uuid), which logins carry [default: the
    /// one the ledger recorded for it; without one, the token kinds minted from it are not
    /// tested].
    #[arg(long, value_name = "UUID", requires = "resource")]
    pub uuid: Option<String>,
    /// How old an SSO timestamp may be, in seconds, instead of the platform's window.
    #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
    pub sso_window: Option<Duration>,
    /// Also run the legacy SSO checks (the cookie and header of the platform's legacy login page).
    #[arg(long)]
    pub legacy_sso: bool,
    /// Record what the run provisions here, so a run killed before its own cleanup can be
    /// cleaned up with `ledger cleanup` [default: the user's ledger].
    #[arg(long, value_name = "PATH")]
    pub ledger: Option<PathBuf>,
    #[command(flatten)]
    pub server: ServerArgs,
    #[command(flatten)]
    pub baseline: BaselineArgs,
}

/// Adopting the suite on a provider that does not pass it yet: its known failures.
#[derive(Debug, Clone, Default, Args)]
pub struct BaselineArgs {
    /// A JSON report of an earlier run: failures it already had are reported as known and do
    /// not fail the run; any other failure does.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Also write this run's JSON report here, to compare later runs with (`--baseline`).
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
}

/// The provider under test, started by the tool for the length of one command.
#[derive(Debug, Clone, Args)]
pub struct ServerArgs {
    /// Start the provider with this shell command (`sh -c CMD`), wait until it accepts
    /// connections, and stop it (SIGTERM, then SIGKILL) when the command ends.
    #[arg(long, value_name = "CMD")]
    pub server: Option<String>,
    /// Wait until this URL accepts TCP connections [default: the provisioning URL].
    #[arg(long, value_name = "URL", requires = "server", value_parser = parse_http_url)]
    pub server_ready: Option<Url>,
    /// How long the server may take to accept connections, in seconds.
    #[arg(long, value_name = "SECS", value_parser = parse_seconds, default_value = "60")]
    pub server_timeout: Duration,
}

impl Default for ServerArgs {
    fn default() -> Self {
        Self {
            server: None,
            server_ready: None,
            server_timeout: Duration::from_secs(60),
        }
    }
}

impl TestArgs {
    pub fn options_map(&self) -> BTreeMap<String, String> {
        self.options.iter().cloned().collect()
    }
}

#[derive(Debug, Args)]
pub struct SsoArgs {
    #[command(flatten)]
    pub manifest: ManifestArgs,
    /// Which of the manifest's environments to target.
    #[arg(long = "env", value_parser = environment_parser(), default_value = "test")]
    pub environment: Environment,
    /// The provider's id of the resource to sign in to.
    pub id: String,
    /// The platform's id of the resource (its `uuid`) [default: the one the ledger
    /// recorded for ID; without one, the login carries only what does not need it].
    #[arg(long)]
    pub uuid: Option<String>,
    /// The ledger to look the uuid up in [default: the user's ledger].
    #[arg(long, value_name = "PATH")]
    pub ledger: Option<PathBuf>,
    /// Open the login in the default browser.
    #[arg(long)]
    pub open: bool,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub manifest: ManifestArgs,
    /// Which of the manifest's environments to target.
    #[arg(long = "env", value_parser = environment_parser(), default_value = "test")]
    pub environment: Environment,
    /// The plan to provision [default: the platform's usual test plan].
    #[arg(long, value_name = "NAME")]
    pub plan: Option<String>,
    /// The plan to change to before deprovisioning [default: the platform's usual second plan].
    #[arg(long, value_name = "NAME")]
    pub plan_change_to: Option<String>,
    /// The command to run, after `--`, with the resource's config vars in its environment.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub command: Vec<String>,
    /// The ledger that records the resource until it is deprovisioned [default: the user's
    /// ledger].
    #[arg(long, value_name = "PATH")]
    pub ledger: Option<PathBuf>,
    #[command(flatten)]
    pub server: ServerArgs,
}

/// Which provider a single operation goes to, and where it is recorded.
#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    #[command(flatten)]
    pub manifest: ManifestArgs,
    /// Which of the manifest's environments to target.
    #[arg(long = "env", value_parser = environment_parser(), default_value = "test")]
    pub environment: Environment,
    /// Send the request here instead of the manifest's provisioning URL.
    #[arg(long, value_parser = parse_http_url)]
    pub base_url: Option<Url>,
    /// Deadline of the request, in seconds, instead of the platform's.
    #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
    pub timeout: Option<Duration>,
    /// The ledger that records the resource [default: the user's ledger].
    #[arg(long, value_name = "PATH")]
    pub ledger: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ProvisionArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// The plan [default: the manifest's first plan, or the platform's usual test plan].
    #[arg(long, value_name = "NAME")]
    pub plan: Option<String>,
    /// A provision option; repeatable.
    #[arg(long = "option", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub options: Vec<(String, String)>,
    /// `json` prints the resource's id, plan and config vars as one JSON object.
    #[arg(long, value_enum, default_value_t = ListFormat::Human)]
    pub format: ListFormat,
}

#[derive(Debug, Args)]
pub struct PlanChangeArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// The provider's id of the resource.
    pub id: String,
    /// The plan to move it to.
    pub plan: String,
    /// `json` prints the resource's id, plan and the config vars the answer carried.
    #[arg(long, value_enum, default_value_t = ListFormat::Human)]
    pub format: ListFormat,
}

#[derive(Debug, Args)]
pub struct DeprovisionArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// The provider's id of the resource.
    pub id: String,
}

/// The most cycles and seconds one `load` may run, so that it always stops by itself.
pub const MAX_LOAD_CYCLES: u32 = 100_000;
pub const MAX_LOAD_SECONDS: f64 = 3600.0;

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("bound").required(true).args(["duration", "cycles"]))]
pub struct LoadArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// How many clients run cycles at once.
    #[arg(long, value_name = "N", default_value_t = 8,
          value_parser = clap::value_parser!(u32).range(1..=256))]
    pub concurrency: u32,
    /// Start new cycles for this long, in seconds (at most an hour); cycles under way finish.
    #[arg(long, value_name = "SECS", value_parser = parse_load_seconds)]
    pub duration: Option<Duration>,
    /// Run this many cycles in all, shared among the clients (at most 100000).
    #[arg(long, value_name = "K",
          value_parser = clap::value_parser!(u32).range(1..=MAX_LOAD_CYCLES as i64))]
    pub cycles: Option<u32>,
    /// The plan to provision [default: the manifest's first plan, or the platform's usual test
    /// plan].
    #[arg(long, value_name = "NAME")]
    pub plan: Option<String>,
    /// The plan to change to [default: another of the manifest's plans].
    #[arg(long, value_name = "NAME")]
    pub plan_change_to: Option<String>,
    /// The deadline an answer should meet (a miss warns) [default: the platform's].
    #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
    pub should_deadline: Option<Duration>,
    /// The deadline an answer must meet (a miss fails) [default: the platform's].
    #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
    pub must_deadline: Option<Duration>,
    /// `json` prints the `addon-conform/load/v1` document.
    #[arg(long, value_enum, default_value_t = ListFormat::Human)]
    pub format: ListFormat,
    #[command(flatten)]
    pub server: ServerArgs,
}

/// `--duration`: seconds, at most [`MAX_LOAD_SECONDS`].
fn parse_load_seconds(text: &str) -> Result<Duration, String> {
    let duration = parse_seconds(text)?;
    if duration.as_secs_f64() > MAX_LOAD_SECONDS {
        return Err(format!("`{text}` is more than {MAX_LOAD_SECONDS} seconds"));
    }
    Ok(duration)
}

#[derive(Debug, Args)]
pub struct LedgerListArgs {
    /// The ledger [default: the user's ledger].
    #[arg(long, value_name = "PATH")]
    pub ledger: Option<PathBuf>,
    /// `json` prints every entry in full, for scripts.
    #[arg(long, value_enum, default_value_t = ListFormat::Human)]
    pub format: ListFormat,
}

#[derive(Debug, Args)]
pub struct LedgerCleanupArgs {
    /// The ledger [default: the user's ledger].
    #[arg(long, value_name = "PATH")]
    pub ledger: Option<PathBuf>,
    /// Deadline of every request, in seconds, instead of the platform's.
    #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
    pub timeout: Option<Duration>,
}

#[derive(Debug, Args)]
pub struct SelftestArgs {
    /// Only this platform (repeatable); every platform by default.
    #[arg(long, value_parser = platform_parser())]
    pub platform: Vec<Platform>,
    /// The seed of the generated inputs; random by default.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Also write the matrix as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// A JSON report (`test --format json`), or the `reproduction` of one of its checks.
    pub file: PathBuf,
    #[command(flatten)]
    pub manifest: ManifestArgs,
    /// Which of the manifest's environments to target.
    #[arg(long = "env", value_parser = environment_parser(), default_value = "test")]
    pub environment: Environment,
    /// Send provisioning calls here instead of the manifest's URL.
    #[arg(long, value_parser = parse_http_url)]
    pub base_url: Option<Url>,
    /// Deadline for every request, in seconds, instead of the platform's.
    #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
    pub timeout: Option<Duration>,
    /// Record what the replay provisions here [default: the user's ledger].
    #[arg(long, value_name = "PATH")]
    pub ledger: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ChecksArgs {
    /// Only the checks that apply to this platform.
    #[arg(long, value_parser = platform_parser())]
    pub platform: Option<Platform>,
    /// `json` prints every catalog entry in full, explanation included.
    #[arg(long, value_enum, default_value_t = ListFormat::Human)]
    pub format: ListFormat,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A check id, such as `provision.auth`.
    pub check: String,
}

/// The platform a command serves when none is named: the registry's first.
fn first_platform() -> Platform {
    dialects::platforms()
        .next()
        .expect("the registry lists at least one platform")
}

#[derive(Debug, Args)]
pub struct ServeReferenceArgs {
    /// The platform whose protocol the add-on speaks.
    #[arg(long, value_parser = platform_parser(), default_value_t = first_platform())]
    pub platform: Platform,
    /// The loopback port to listen on (0: any free port).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Make the add-on misbehave in this way; repeatable.
    #[arg(long = "fault", value_name = "FAULT", value_parser = parse_fault)]
    pub faults: Vec<Fault>,
    /// How the manifest asks for single sign-on.
    #[arg(long, value_enum)]
    pub sso: Option<SsoArg>,
    /// Where to write the add-on's manifest [default: a temporary file, removed on exit].
    #[arg(long, value_name = "FILE")]
    pub manifest_out: Option<PathBuf>,
    /// Accept the password (or token) and SSO salt of this manifest instead of fresh ones, so
    /// it stays valid when the add-on restarts (with `--port`, its URLs too).
    #[arg(long, value_name = "FILE")]
    pub secrets_from: Option<PathBuf>,
    /// Slow down under load: hold every request back this long for each request in flight
    /// when it arrives, itself included (what `load` shows; the sequential suite cannot).
    #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
    pub delay_per_concurrent_request: Option<Duration>,
    /// List the faults the reference add-on can have, and exit.
    #[arg(long, exclusive = true)]
    pub list_faults: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Whether output written to `stream` gets colour.
    pub fn enabled_for(self, stream: &impl IsTerminal) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                let no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
                !no_color && stream.is_terminal()
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SsoArg {
    Get,
    Post,
}

impl From<SsoArg> for SsoTransport {
    fn from(value: SsoArg) -> Self {
        match value {
            SsoArg::Get => SsoTransport::Get,
            SsoArg::Post => SsoTransport::Post,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Human,
    Json,
    Junit,
    /// One self-contained HTML page (no script, nothing from the network).
    Html,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ManifestFormat {
    Human,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Human,
    Json,
}

/// `--platform`, with the platform names shown in `--help` and in errors.
pub fn platform_parser() -> impl TypedValueParser<Value = Platform> {
    PossibleValuesParser::new(dialects::platforms().map(Platform::as_str))
        .try_map(|name| dialects::named(&name).map(|dialect| dialect.platform()))
}

/// `--env`.
pub fn environment_parser() -> impl TypedValueParser<Value = Environment> {
    const ENVIRONMENTS: [Environment; 2] = [Environment::Test, Environment::Production];
    PossibleValuesParser::new(ENVIRONMENTS.map(Environment::as_str)).try_map(|name| {
        ENVIRONMENTS
            .into_iter()
            .find(|environment| environment.as_str() == name)
            .ok_or_else(|| format!("unknown environment `{name}`"))
    })
}

/// A duration in seconds, fractions allowed (`2.5`).
pub fn parse_seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    if !seconds.is_finite() || seconds <= 0.0 {
        return Err(format!("`{text}` must be a positive number of seconds"));
    }
    Duration::try_from_secs_f64(seconds).map_err(|error| format!("`{text}`: {error}"))
}

/// An absolute `http` or `https` URL: the only kind a provider can be reached at, refused before
/// any request is sent.
pub fn parse_http_url(text: &str) -> Result<Url, String> {
    let url = Url::parse(text).map_err(|error| format!("`{text}` is not a URL: {error}"))?;
    match url.scheme() {
        "http" | "https" if url.has_host() => Ok(url),
        "http" | "https" => Err(format!("`{text}` names no host")),
        scheme => Err(format!(
            "`{text}` is a `{scheme}:` URL; a provider is reached over http or https"
        )),
    }
}

/// `KEY=VALUE`; the value may itself contain `=`.
pub fn parse_key_value(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_string(), value.to_string())),
        _ => Err(format!("`{text}` is not KEY=VALUE")),
    }
}

/// A reference add-on fault by its kebab-case name.
pub fn parse_fault(text: &str) -> Result<Fault, String> {
    text.parse::<Fault>().map_err(|_| {
        let known: Vec<String> = Fault::ALL.iter().map(ToString::to_string).collect();
        format!("unknown fault `{text}`; known faults: {}", known.join(", "))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn seconds_accept_fractions_and_refuse_nonsense() {
        assert_eq!(parse_seconds("2.5"), Ok(Duration::from_millis(2500)));
        assert_eq!(parse_seconds("3"), Ok(Duration::from_secs(3)));
        for bad in ["0", "-1", "nan", "inf", "soon"] {
            assert!(parse_seconds(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn provider_urls_are_http_or_https() {
        assert!(parse_http_url("https://addon.example/heroku/resources").is_ok());
        assert!(parse_http_url("http://127.0.0.1:9/").is_ok());
        for bad in [
            "ftp://addon.example/",
            "mailto:ops@addon.example",
            "/relative",
            "http:",
        ] {
            assert!(parse_http_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn options_split_on_the_first_equals_sign() {
        assert_eq!(
            parse_key_value("url=a=b"),
            Ok(("url".to_string(), "a=b".to_string()))
        );
        assert!(parse_key_value("=x").is_err());
        assert!(parse_key_value("flag").is_err());
    }

    #[test]
    fn test_flags_parse() {
        let cli = Cli::try_parse_from([
            "addon-conform",
            "test",
            "--platform",
            "heroku",
            "--env",
            "production",
            "--only",
            "sso.*",
            "--only",
            "provision.auth",
            "--option",
            "size=large",
            "--timeout",
            "1.5",
            "--seed",
            "7",
            "--cases",
            "3",
            "--concurrency",
            "16",
        ])
        .unwrap();
        let Command::Test(args) = cli.command else {
            panic!("not the test command");
        };
        assert_eq!(args.manifest.platform, Some(heroku_adapter::PLATFORM));
        assert_eq!(args.environment, Environment::Production);
        assert_eq!(args.only, ["sso.*", "provision.auth"]);
        assert_eq!(
            args.options_map().get("size").map(String::as_str),
            Some("large")
        );
        assert_eq!(args.timeout, Some(Duration::from_millis(1500)));
        assert_eq!(args.seed, Some(7));
        assert_eq!(args.cases, 3);
        assert_eq!(args.concurrency, 16);
        assert!(
            Cli::try_parse_from(["addon-conform", "test", "--cases", "0"]).is_err(),
            "zero cases runs nothing"
        );
        assert!(
            Cli::try_parse_from(["addon-conform", "test", "--concurrency", "0"]).is_err(),
            "no request could ever be sent"
        );
    }

    #[test]
    fn operation_and_ledger_flags_parse() {
        let cli = Cli::try_parse_from([
            "addon-conform",
            "plan-change",
            "res-1",
            "premium",
            "--ledger",
            "/tmp/l.sqlite3",
            "--base-url",
            "http://127.0.0.1:9/resources",
        ])
        .unwrap();
        let Command::PlanChange(args) = cli.command else {
            panic!("not plan-change");
        };
        assert_eq!((args.id.as_str(), args.plan.as_str()), ("res-1", "premium"));
        assert_eq!(args.target.ledger, Some(PathBuf::from("/tmp/l.sqlite3")));
        assert!(args.target.base_url.is_some());

        let cli =
            Cli::try_parse_from(["addon-conform", "ledger", "list", "--format", "json"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::Ledger(LedgerCommand::List(LedgerListArgs {
                format: ListFormat::Json,
                ledger: None
            }))
        ));
        assert!(Cli::try_parse_from(["addon-conform", "deprovision"]).is_err());
    }
}
