use std::io;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    if let Some(code) = addon_conform::docs::man_pages_requested::<addon_conform::Cli>() {
        return code;
    }
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
