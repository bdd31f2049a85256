//! Man pages and shell completions, generated from the clap definitions so they cannot drift
//! from the flags. `addon-conform completions SHELL` prints a completion script; each binary
//! writes its man pages when [`MAN_DIR_ENV`] names a directory, which is how `cargo xtask dist`
//! gets the pages of the four binaries from their own definitions.

use std::io;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::CommandFactory;

/// Set to a directory, a binary writes its man pages there and exits instead of running.
pub const MAN_DIR_ENV: &str = "ADDON_CONFORM_WRITE_MAN_PAGES";

/// Writes one page for `command` (`NAME.1`) and one for every subcommand, nested ones
/// included (`NAME-SUB.1`, `NAME-SUB-SUB.1`), as `git` does. Returns the files written.
pub fn write_man_pages(command: clap::Command, dir: &Path) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut command = command;
    command.build();
    let mut written = Vec::new();
    let name = command.get_name().to_string();
    write_page(&command, &name, &name, dir, &mut written)?;
    Ok(written)
}

/// `name` is the page's (`addon-conform-ledger-list`), `invocation` how it is typed
/// (`addon-conform ledger list`).
fn write_page(
    command: &clap::Command,
    name: &str,
    invocation: &str,
    dir: &Path,
    written: &mut Vec<PathBuf>,
) -> io::Result<()> {
    let page = command
        .clone()
        .name(name.to_string())
        .bin_name(invocation.to_string());
    let path = dir.join(format!("{name}.1"));
    let mut text = Vec::new();
    clap_mangen::Man::new(page).render(&mut text)?;
    std::fs::write(&path, text)?;
    written.push(path);
    for sub in command.get_subcommands() {
        if sub.is_hide_set() || sub.get_name() == "help" {
            continue;
        }
        write_page(
            sub,
            &format!("{name}-{}", sub.get_name()),
            &format!("{invocation} {}", sub.get_name()),
            dir,
            written,
        )?;
    }
    Ok(())
}

/// In a binary's `main`: when [`MAN_DIR_ENV`] is set, writes the man pages of `C` there, prints
/// their paths, and returns the exit code to end with.
pub fn man_pages_requested<C: CommandFactory>() -> Option<ExitCode> {
    let dir = std::env::var_os(MAN_DIR_ENV)?;
    Some(match write_man_pages(C::command(), Path::new(&dir)) {
        Ok(paths) => {
            for path in paths {
                println!("{}", path.display());
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!(
                "error: cannot write the man pages into {}: {error}",
                Path::new(&dir).display()
            );
            ExitCode::from(2)
        }
    })
}

/// The completion script of `addon-conform` for `shell`.
pub fn completions(shell: clap_complete::Shell) -> String {
    let mut script = Vec::new();
    clap_complete::generate(
        shell,
        &mut crate::Cli::command(),
        "addon-conform",
        &mut script,
    );
    let script = String::from_utf8_lossy(&script).into_owned();
    match shell {
        // clap_complete's bash script names a subcommand's state `addon__conform__subcmd__X`
        // where it walks the words but `addon__subcmd__conform__subcmd__X` in the arms that
        // complete it, so nothing after a subcommand would complete for a binary whose name has
        // a hyphen (clap-rs/clap#6421). One spelling makes them agree.
        clap_complete::Shell::Bash => script.replace("addon__subcmd__conform", "addon__conform"),
        _ => script,
    }
}
