//! The `addon-conform` command line as a library: argument types, the commands, and the
//! human, JSON and JUnit report renderers. `addon-conform` and the per-platform binaries are thin
//! wrappers around it; integration tests drive the real binaries.

pub mod args;
pub mod commands;
pub mod docs;
pub mod error;
pub mod fuzzing;
pub mod load;
pub mod private_file;
pub mod progress;
pub mod registry;
pub mod render;
pub mod selftest;
pub mod server;

use std::io;
use std::process::ExitCode;

pub use args::{Cli, ColorChoice, Command, LedgerCommand, ManifestCommand};
pub use error::CliError;

/// Runs one command and returns the process exit code.
pub fn run(cli: Cli) -> Result<i32, CliError> {
    let color = cli.color;
    let quiet = cli.quiet;
    match cli.command {
        Command::Init(args) => commands::init::init(&args),
        Command::Manifest(ManifestCommand::Check(args)) => {
            commands::manifest::check(&args, color.enabled_for(&io::stdout()))
        }
        Command::Test(args) => block_on(commands::test::test(&args, color, quiet)),
        Command::Checks(args) => commands::catalog::checks(&args),
        Command::Explain(args) => commands::catalog::explain(&args),
        Command::ServeReference(args) => block_on(commands::serve::serve_reference(&args)),
        Command::Sso(args) => commands::sso::sso(&args),
        Command::Run(args) => block_on(commands::run::run(&args)),
        Command::Provision(args) => block_on(commands::operations::provision(&args)),
        Command::PlanChange(args) => block_on(commands::operations::plan_change(&args)),
        Command::Deprovision(args) => block_on(commands::operations::deprovision(&args)),
        Command::Ledger(LedgerCommand::List(args)) => commands::ledger::list(&args),
        Command::Ledger(LedgerCommand::Cleanup(args)) => {
            block_on(commands::ledger::cleanup(&args, quiet))
        }
        Command::Replay(args) => block_on(commands::replay::replay(&args)),
        Command::Load(args) => block_on(commands::load::load(&args, quiet)),
        Command::Selftest(args) => block_on(commands::selftest::selftest(&args, quiet)),
        Command::Completions(args) => {
            print!("{}", docs::completions(args.shell));
            Ok(manifest_core::exit::PASSED)
        }
    }
}

/// The whole of a binary's `main`: man pages when the build asks for them, else parses the
/// command line, runs it with `run`, prints an error in `color_of`'s colours, and turns the
/// outcome into the process exit code.
pub fn main_of<C: clap::Parser>(
    color_of: impl Fn(&C) -> ColorChoice,
    run: impl FnOnce(C) -> Result<i32, CliError>,
) -> ExitCode {
    if let Some(code) = docs::man_pages_requested::<C>() {
        return code;
    }
    let cli = C::parse();
    let color = color_of(&cli);
    let code = match run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprint!("{}", error.render(color.enabled_for(&io::stderr())));
            error.exit_code()
        }
    };
    ExitCode::from(u8::try_from(code).unwrap_or(u8::MAX))
}

/// Runs an async command on a fresh multi-threaded runtime.
pub fn block_on<F: Future<Output = Result<i32, CliError>>>(future: F) -> Result<i32, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| CliError::io("cannot start the async runtime", error))?
        .block_on(future)
}
