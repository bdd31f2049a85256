//! `heroku-addon-conform`: the same commands in the vocabulary of Heroku's former `kensa` tool,
//! for providers whose scripts already speak it.

use std::path::PathBuf;
use std::process::ExitCode;

use addon_conform::args::{
    BaselineArgs, InitArgs, ManifestArgs, ManifestCheckArgs, ManifestFormat, ReportFormat,
    ServerArgs, SsoArg, SsoArgs, TestArgs,
};
use addon_conform::{CliError, ColorChoice, Command, ManifestCommand};
use clap::{Args, Parser, Subcommand};
use manifest_core::Environment;

#[derive(Debug, Parser)]
#[command(
    name = "heroku-addon-conform",
    version,
    about = "Tests a Heroku add-on provider, with the commands of the former `kensa` tool",
    max_term_width = 100
)]
struct HerokuCli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: HerokuCommand,
}

#[derive(Debug, Args)]
struct Global {
    /// The manifest.
    #[arg(long, short, global = true, default_value = "addon-manifest.json")]
    file: PathBuf,
    /// Target the manifest's production URLs instead of its test URLs.
    #[arg(long, global = true)]
    production: bool,
    /// The plan to provision [default: `test`].
    #[arg(long, global = true, value_name = "NAME")]
    plan: Option<String>,
    /// Leave out the single sign-on checks.
    #[arg(long, global = true)]
    without_sso: bool,
    /// The report format (`test`), or the diagnostics format (`test manifest`: human or json).
    #[arg(long, global = true, value_enum, default_value_t = ReportFormat::Human)]
    format: ReportFormat,
    /// Seed of the generated inputs [default: random].
    #[arg(long, global = true)]
    seed: Option<u64>,
    /// When to colour the output.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
}

#[derive(Debug, Subcommand)]
enum HerokuCommand {
    /// Write a manifest skeleton with a fresh password and SSO salt.
    Init {
        /// How single sign-on reaches the provider.
        #[arg(long, value_enum)]
        sso: Option<SsoArg>,
        /// Overwrite an existing manifest.
        #[arg(long)]
        force: bool,
    },
    /// Run checks against the provider.
    #[command(subcommand)]
    Test(TestCommand),
    /// Print a fresh single sign-on login for a resource.
    Sso {
        /// The provider's id of the resource.
        id: String,
    },
}

#[derive(Debug, Subcommand)]
enum TestCommand {
    /// Check the manifest without contacting the provider.
    Manifest,
    /// The provisioning checks; `--KEY=VALUE` arguments are sent as provision options.
    Provision {
        #[arg(
            trailing_var_arg = true,
            allow_hyphen_values = true,
            value_name = "--KEY=VALUE"
        )]
        options: Vec<String>,
    },
    /// The deprovisioning checks, against an existing resource.
    Deprovision { id: String },
    /// The plan change checks, against an existing resource.
    Planchange { id: String, plan: String },
    /// The single sign-on checks, against an existing resource.
    Sso { id: String },
    /// The whole suite; `--KEY=VALUE` arguments are sent as provision options.
    All {
        #[arg(
            trailing_var_arg = true,
            allow_hyphen_values = true,
            value_name = "--KEY=VALUE"
        )]
        options: Vec<String>,
    },
}

impl Global {
    fn manifest(&self) -> ManifestArgs {
        ManifestArgs {
            platform: Some(heroku_adapter::PLATFORM),
            manifest: Some(self.file.clone()),
        }
    }

    fn environment(&self) -> Environment {
        if self.production {
            Environment::Production
        } else {
            Environment::Test
        }
    }

    fn test(&self, only: Option<&str>, resource: Option<String>) -> TestArgs {
        TestArgs {
            manifest: self.manifest(),
            environment: self.environment(),
            base_url: None,
            sso_url: None,
            only: only.map(str::to_string).into_iter().collect(),
            skip: if self.without_sso {
                vec!["sso.*".to_string()]
            } else {
                Vec::new()
            },
            plan: self.plan.clone(),
            plan_change_to: None,
            options: Vec::new(),
            timeout: None,
            max_duration: None,
            format: self.format,
            output: None,
            seed: self.seed,
            cases: 1,
            concurrency: http_runner::DEFAULT_CONCURRENCY as u32,
            resource,
            uuid: None,
            sso_window: None,
            legacy_sso: false,
            ledger: None,
            server: ServerArgs::default(),
            baseline: BaselineArgs::default(),
        }
    }
}

/// kensa's provision options: `--KEY=VALUE` arguments, sent as the provision's `options`.
fn provision_options(arguments: &[String]) -> Result<Vec<(String, String)>, CliError> {
    arguments
        .iter()
        .map(|argument| {
            argument
                .strip_prefix("--")
                .and_then(|option| option.split_once('='))
                .filter(|(key, _)| !key.is_empty())
                .map(|(key, value)| (key.to_string(), value.to_string()))
                .ok_or_else(|| {
                    CliError::usage(format!(
                        "`{argument}` is not a provision option; write options as --KEY=VALUE"
                    ))
                })
        })
        .collect()
}

/// The `addon-conform` command a kensa command stands for.
fn translate(heroku: HerokuCli) -> Result<addon_conform::Cli, CliError> {
    let global = heroku.global;
    let command = match heroku.command {
        HerokuCommand::Init { sso, force } => Command::Init(InitArgs {
            platform: heroku_adapter::PLATFORM,
            output: Some(global.file.clone()),
            sso,
            force,
        }),
        HerokuCommand::Sso { id } => Command::Sso(SsoArgs {
            manifest: global.manifest(),
            environment: global.environment(),
            id,
            uuid: None,
            ledger: None,
            open: false,
        }),
        HerokuCommand::Test(TestCommand::Manifest) => {
            let format = match global.format {
                ReportFormat::Human => ManifestFormat::Human,
                ReportFormat::Json => ManifestFormat::Json,
                ReportFormat::Junit | ReportFormat::Html => {
                    return Err(CliError::usage(
                        "`test manifest` prints human or json diagnostics, not junit or html",
                    ));
                }
            };
            Command::Manifest(ManifestCommand::Check(ManifestCheckArgs {
                manifest: global.manifest(),
                format,
            }))
        }
        HerokuCommand::Test(TestCommand::Provision { options }) => {
            let mut args = global.test(Some("provision.*"), None);
            args.options = provision_options(&options)?;
            Command::Test(Box::new(args))
        }
        HerokuCommand::Test(TestCommand::Deprovision { id }) => {
            Command::Test(Box::new(global.test(Some("deprovision.*"), Some(id))))
        }
        HerokuCommand::Test(TestCommand::Planchange { id, plan }) => {
            let mut args = global.test(Some("plan-change.*"), Some(id));
            args.plan_change_to = Some(plan);
            Command::Test(Box::new(args))
        }
        HerokuCommand::Test(TestCommand::Sso { id }) => {
            Command::Test(Box::new(global.test(Some("sso.*"), Some(id))))
        }
        HerokuCommand::Test(TestCommand::All { options }) => {
            let mut args = global.test(None, None);
            args.options = provision_options(&options)?;
            Command::Test(Box::new(args))
        }
    };
    Ok(addon_conform::Cli {
        color: global.color,
        quiet: false,
        command,
    })
}

fn main() -> ExitCode {
    addon_conform::main_of(
        |heroku: &HerokuCli| heroku.global.color,
        |heroku| translate(heroku).and_then(addon_conform::run),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        HerokuCli::command().debug_assert();
    }

    #[test]
    fn planchange_runs_the_plan_change_checks_on_the_named_resource() {
        let heroku = HerokuCli::try_parse_from([
            "heroku-addon-conform",
            "--without-sso",
            "test",
            "planchange",
            "r1",
            "premium",
            "--production",
        ])
        .unwrap();
        let Command::Test(args) = translate(heroku).unwrap().command else {
            panic!("not a test run");
        };
        assert_eq!(args.only, ["plan-change.*"]);
        assert_eq!(args.skip, ["sso.*"]);
        assert_eq!(args.resource.as_deref(), Some("r1"));
        assert_eq!(args.plan_change_to.as_deref(), Some("premium"));
        assert_eq!(args.environment, Environment::Production);
    }

    #[test]
    fn provision_passes_key_value_arguments_as_options() {
        let heroku = HerokuCli::try_parse_from([
            "heroku-addon-conform",
            "test",
            "provision",
            "--size=large",
            "--region-hint=eu=west",
        ])
        .unwrap();
        let Command::Test(args) = translate(heroku).unwrap().command else {
            panic!("not a test run");
        };
        assert_eq!(args.only, ["provision.*"]);
        assert_eq!(
            args.options,
            [
                ("size".to_string(), "large".to_string()),
                ("region-hint".to_string(), "eu=west".to_string())
            ]
        );
        let bad =
            HerokuCli::try_parse_from(["heroku-addon-conform", "test", "all", "size"]).unwrap();
        assert!(translate(bad).is_err());
    }
}
