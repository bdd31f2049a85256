//! Man pages and completions come from the clap definitions: every command of every binary has
//! its page with every flag its `--help` shows, and bash completes what a user types.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use addon_conform::docs::MAN_DIR_ENV;

use crate::harness::{BIN, BITRISE_BIN, HEROKU_BIN, SCALINGO_BIN};

fn help(bin: &str, path: &[String]) -> String {
    let output = Command::new(bin)
        .args(path)
        .arg("--help")
        .env("COLUMNS", "100")
        .output()
        .unwrap();
    assert!(output.status.success(), "{bin} {path:?} --help");
    String::from_utf8(output.stdout).unwrap()
}

/// The subcommands a `--help` lists, `help` left out.
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|line| !line.starts_with("Commands:"))
        .skip(1)
        .take_while(|line| line.starts_with("  "))
        // A description that wraps continues further indented.
        .filter(|line| !line.starts_with("   "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect()
}

/// Every `--flag` a text mentions.
fn long_flags(text: &str) -> BTreeSet<String> {
    let mut flags = BTreeSet::new();
    for (at, _) in text.match_indices("--") {
        let flag: String = text[at + 2..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        if flag.starts_with(|c: char| c.is_ascii_lowercase()) {
            flags.insert(format!("--{}", flag.trim_end_matches('-')));
        }
    }
    flags
}

/// Checks the page of `bin path...` and of each command under it; returns how many pages.
fn check_pages(bin: &str, name: &str, path: &mut Vec<String>, dir: &Path) -> usize {
    let help = help(bin, path);
    let page_name = std::iter::once(name.to_string())
        .chain(path.iter().cloned())
        .collect::<Vec<_>>()
        .join("-");
    let page = std::fs::read_to_string(dir.join(format!("{page_name}.1")))
        .unwrap_or_else(|_| panic!("no man page {page_name}.1"));
    let page = page.replace("\\-", "-");
    for flag in long_flags(&help) {
        assert!(
            page.contains(&flag),
            "{page_name}.1 does not mention {flag}"
        );
    }
    let mut pages = 1;
    for sub in subcommands(&help) {
        path.push(sub);
        pages += check_pages(bin, name, path, dir);
        path.pop();
    }
    pages
}

#[test]
fn every_command_of_every_binary_has_a_man_page_with_its_flags() {
    for (bin, name) in [
        (BIN, "addon-conform"),
        (HEROKU_BIN, "heroku-addon-conform"),
        (SCALINGO_BIN, "scalingo-addon-conform"),
        (BITRISE_BIN, "bitrise-addon-conform"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let output = Command::new(bin)
            .env(MAN_DIR_ENV, dir.path())
            .output()
            .unwrap();
        assert!(output.status.success(), "{name}: {output:?}");
        let written = String::from_utf8(output.stdout).unwrap().lines().count();
        let checked = check_pages(bin, name, &mut Vec::new(), dir.path());
        assert_eq!(
            written, checked,
            "{name}: a page for each command, no other"
        );
    }
}

/// Completes `line` in bash with the script of `addon-conform completions bash`.
fn complete_in_bash(line: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let script = Command::new(BIN)
        .args(["completions", "bash"])
        .output()
        .unwrap();
    assert!(script.status.success());
    std::fs::write(dir.path().join("addon-conform.bash"), script.stdout).unwrap();
    let driver = format!(
        r#"source ./addon-conform.bash
function=$(complete -p addon-conform | sed 's/.*-F \([^ ]*\).*/\1/')
COMP_LINE='{line}'
read -ra COMP_WORDS <<< "$COMP_LINE"
[[ "$COMP_LINE" == *' ' ]] && COMP_WORDS+=("")
COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
COMP_POINT=${{#COMP_LINE}}
"$function" addon-conform "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\n' "${{COMPREPLY[@]}}"
"#
    );
    let output = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &driver])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn bash_completes_commands_and_flags() {
    assert_eq!(complete_in_bash("addon-conform te"), ["test"]);
    assert_eq!(
        complete_in_bash("addon-conform test --server-r"),
        ["--server-ready"]
    );
    assert_eq!(
        complete_in_bash("addon-conform plan-change --base-u"),
        ["--base-url"]
    );
    assert_eq!(
        complete_in_bash("addon-conform ledger cleanup --time"),
        ["--timeout"]
    );
    let ledger = complete_in_bash("addon-conform ledger ");
    assert!(
        ledger.contains(&"list".to_string()) && ledger.contains(&"cleanup".to_string()),
        "{ledger:?}"
    );
}
