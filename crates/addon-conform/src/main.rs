use std::io;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = addon_conform::Cli::parse();
    let color = cli.color;
    let code = match addon_conform::run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprint!("{}", error.render(color.enabled_for(&io::stderr())));
            error.exit_code()
        }
    };
    ExitCode::from(u8::try_from(code).unwrap_or(u8::MAX))
}
