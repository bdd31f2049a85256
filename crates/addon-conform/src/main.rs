use std::process::ExitCode;

fn main() -> ExitCode {
    addon_conform::main_of(|cli: &addon_conform::Cli| cli.color, addon_conform::run)
}
