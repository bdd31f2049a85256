//! `checks` and `explain`: the check catalog, for people and for scripts.

use manifest_core::catalog::{self, CATALOG, CheckDef, Level};
use manifest_core::{Platform, exit};
use reference_addon::Fault;

use crate::args::{ChecksArgs, ExplainArgs, ListFormat};
use crate::error::CliError;

const WIDTH: usize = 88;

fn level_name(level: Level) -> &'static str {
    match level {
        Level::Must => "must",
        Level::Should => "should",
    }
}

fn platform_names(platforms: &[Platform]) -> String {
    let names: Vec<&str> = platforms.iter().map(|platform| platform.as_str()).collect();
    names.join(",")
}

pub fn checks(args: &ChecksArgs) -> Result<i32, CliError> {
    let selected: Vec<&CheckDef> = CATALOG
        .iter()
        .filter(|check| {
            args.platform.is_none_or(|platform| {
                dialects::find(platform)
                    .is_some_and(|dialect| check.applies_to(dialect.expectations().capabilities))
            })
        })
        .collect();
    match args.format {
        ListFormat::Json => {
            let entries: Vec<CatalogEntry> = selected
                .iter()
                .map(|check| CatalogEntry {
                    check,
                    platforms: dialects::having(check.needs),
                    proven_by: proving_faults(check.id).iter().map(Fault::name).collect(),
                })
                .collect();
            let text = serde_json::to_string_pretty(&entries)
                .map_err(|error| CliError::io("cannot write JSON", error.into()))?;
            println!("{text}");
        }
        ListFormat::Human => print!("{}", checks_table(&selected)),
    }
    Ok(exit::PASSED)
}

/// A catalog entry with the faults that prove it, for `checks --format json`.
#[derive(serde::Serialize)]
struct CatalogEntry<'a> {
    #[serde(flatten)]
    check: &'a CheckDef,
    /// The registered platforms it applies to.
    platforms: Vec<Platform>,
    proven_by: Vec<&'static str>,
}

/// One line per check: id, level, platforms, summary and the faults that prove it, columns
/// aligned.
pub fn checks_table(checks: &[&CheckDef]) -> String {
    let id_width = checks.iter().map(|check| check.id.len()).max().unwrap_or(0);
    let platforms: Vec<String> = checks
        .iter()
        .map(|check| platform_names(&dialects::having(check.needs)))
        .collect();
    let platform_width = platforms.iter().map(String::len).max().unwrap_or(0);
    let mut out = String::new();
    for (check, platforms) in checks.iter().zip(&platforms) {
        let faults: Vec<&str> = proving_faults(check.id).iter().map(Fault::name).collect();
        out.push_str(&format!(
            "{:id_width$}  {:6}  {:platform_width$}  {} [proven by: {}]\n",
            check.id,
            level_name(check.level),
            platforms,
            check.summary,
            faults.join(", ")
        ));
    }
    out
}

/// The faults of the reference add-on that make a check fail.
pub fn proving_faults(id: &str) -> Vec<Fault> {
    Fault::ALL
        .iter()
        .filter(|fault| fault.proves().contains(&id))
        .copied()
        .collect()
}

pub fn explain(args: &ExplainArgs) -> Result<i32, CliError> {
    let Some(check) = catalog::lookup(&args.check) else {
        let suggestions = closest_ids(&args.check, 3);
        return Err(CliError::usage(format!(
            "unknown check `{}`; did you mean {}? (`addon-conform checks` lists them all)",
            args.check,
            suggestions
                .iter()
                .map(|id| format!("`{id}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    };
    print!("{}", explanation(check));
    Ok(exit::PASSED)
}

/// What `explain` prints for a check.
pub fn explanation(check: &CheckDef) -> String {
    let mut out = format!(
        "{}\n  level:     {}{}\n  platforms: {}\n  source:    {}\n\n{}\n\n",
        check.id,
        level_name(check.level),
        match check.level {
            Level::Must => " (a failure fails the run)",
            Level::Should => " (a failure only warns)",
        },
        platform_names(&dialects::having(check.needs)).replace(',', ", "),
        check.source.describe(),
        check.summary,
    );
    for line in wrap(check.explanation, WIDTH) {
        out.push_str(&line);
        out.push('\n');
    }
    for dialect in dialects::all() {
        let levels = dialect.expectations().levels;
        for level in levels.iter().filter(|level| level.check == check.id) {
            let note = format!(
                "On {}: {}. {}",
                dialect.display_name(),
                level_name(level.level),
                level.note
            );
            out.push('\n');
            for line in wrap(&note, WIDTH) {
                out.push_str(&line);
                out.push('\n');
            }
        }
    }
    let faults = proving_faults(check.id);
    if faults.is_empty() {
        out.push_str("\nNo fault of the reference add-on exercises this check yet.\n");
    } else {
        out.push_str(
            "\nProven by these faults of the reference add-on (`serve-reference --fault`):\n",
        );
        let width = faults
            .iter()
            .map(|fault| fault.to_string().len())
            .max()
            .unwrap_or(0);
        let hanging = " ".repeat(2 + width + 2);
        for fault in faults {
            let description = wrap(
                fault.description(),
                WIDTH.saturating_sub(hanging.len()).max(20),
            );
            for (index, line) in description.iter().enumerate() {
                if index == 0 {
                    out.push_str(&format!("  {:width$}  {line}\n", fault.to_string()));
                } else {
                    out.push_str(&format!("{hanging}{line}\n"));
                }
            }
        }
    }
    out
}

/// Greedy word wrap; words longer than the width stand on their own line.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// The catalog ids nearest to a mistyped one: those containing it first, then by edit distance.
pub fn closest_ids(wanted: &str, limit: usize) -> Vec<&'static str> {
    let wanted = wanted.to_ascii_lowercase();
    let mut ranked: Vec<(bool, usize, &'static str)> = CATALOG
        .iter()
        .map(|check| {
            (
                !check.id.contains(wanted.as_str()),
                manifest_core::names::edit_distance(&wanted, check.id),
                check.id,
            )
        })
        .collect();
    ranked.sort();
    ranked
        .into_iter()
        .take(limit)
        .map(|(_, _, id)| id)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_suggest_the_intended_id() {
        assert_eq!(closest_ids("provision.aut", 1), ["provision.auth"]);
        assert_eq!(closest_ids("sso.logn", 1), ["sso.login"]);
        assert_eq!(
            closest_ids("idempotent", 2),
            ["provision.idempotent", "provision.idempotent.concurrent"]
        );
    }

    #[test]
    fn wrapping_keeps_every_word_within_the_width() {
        let lines = wrap("a bb ccc dddd eeeee", 8);
        assert_eq!(lines, ["a bb ccc", "dddd", "eeeee"]);
        assert!(wrap("", 8).is_empty());
    }

    #[test]
    fn table_lists_every_check_once() {
        let all: Vec<&CheckDef> = CATALOG.iter().collect();
        let table = checks_table(&all);
        assert_eq!(table.lines().count(), CATALOG.len());
        assert!(
            table
                .lines()
                .any(|line| line.starts_with("provision.auth "))
        );
    }
}
