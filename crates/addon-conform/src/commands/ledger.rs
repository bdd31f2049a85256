//! `ledger list` and `ledger cleanup`: what runs and single operations provisioned and did not
//! deprovision — because they were killed, or because the provider refused — and its removal.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use http_runner::{EntryState, Ledger, LedgerEntry, cleanup_leftovers};
use serde_json::json;

use crate::args::{LedgerCleanupArgs, LedgerListArgs, ListFormat};
use crate::error::CliError;
use crate::progress::Progress;

/// The schema of `ledger list --format json`; fields may be added, never renamed or removed.
const LIST_SCHEMA: &str = "addon-conform/ledger/v1";

/// Opens the ledger at `path`, or the user's ledger.
pub fn open_ledger(path: Option<&Path>) -> Result<Ledger, CliError> {
    let path = match path {
        Some(path) => path.to_path_buf(),
        None => Ledger::default_path()?,
    };
    Ok(Ledger::open(path)?)
}

/// The ledger of a command that deprovisions what it provisions before it ends (`test`, `run`):
/// the one at `path`, or the user's — and when the user's cannot be opened (a read-only home),
/// one in memory, with a warning, since the command still cleans up after itself.
pub fn open_run_ledger(path: Option<&Path>) -> Result<Ledger, CliError> {
    match (path, open_ledger(path)) {
        (_, Ok(ledger)) => Ok(ledger),
        (Some(_), Err(error)) => Err(error),
        (None, Err(error)) => {
            eprintln!(
                "warning: {error}; what this run provisions is recorded in memory only (pass \
                 --ledger PATH to keep a record)"
            );
            Ok(Ledger::in_memory()?)
        }
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        })
}

/// `42s`, `5m`, `3h`, `2d`: how long ago, to the largest whole unit.
pub fn age(seconds: i64) -> String {
    let seconds = seconds.max(0);
    match seconds {
        0..60 => format!("{seconds}s"),
        60..3600 => format!("{}m", seconds / 60),
        3600..86400 => format!("{}h", seconds / 3600),
        _ => format!("{}d", seconds / 86400),
    }
}

/// The resource's id, or what stands for it while the provision's answer is unknown.
fn shown_id(entry: &LedgerEntry) -> String {
    entry
        .resource_id
        .clone()
        .unwrap_or_else(|| format!("(provision {})", entry.uuid))
}

/// One entry as `ledger list --format json` prints it.
fn entry_json(entry: &LedgerEntry, now: i64) -> serde_json::Value {
    json!({
        "entry": entry.id,
        "id": entry.resource_id,
        "uuid": entry.uuid,
        "app_slug": entry.app_slug,
        "platform": entry.platform,
        "environment": entry.environment,
        "target": entry.target.as_str(),
        "manifest": entry.manifest_path.as_ref().map(|path| path.display().to_string()),
        "plan": entry.plan,
        "state": entry.state,
        "created_at": entry.created_at,
        "updated_at": entry.updated_at,
        "age_seconds": (now - entry.created_at).max(0),
    })
}

/// `ledger list --format json`: the schema, where the ledger is, and the entries.
pub fn list_document(ledger: &Ledger, entries: &[LedgerEntry]) -> serde_json::Value {
    let now = now();
    json!({
        "schema": LIST_SCHEMA,
        "ledger": ledger.path().map(|path| path.display().to_string()),
        "entries": entries.iter().map(|entry| entry_json(entry, now)).collect::<Vec<_>>(),
    })
}

/// Columns padded to their widest cell, two spaces apart.
pub fn table(rows: &[Vec<String>]) -> String {
    let mut widths = Vec::new();
    for row in rows {
        widths.resize(widths.len().max(row.len()), 0);
        for (column, cell) in row.iter().enumerate() {
            widths[column] = widths[column].max(cell.chars().count());
        }
    }
    let mut text = String::new();
    for row in rows {
        let mut line = String::new();
        for (column, cell) in row.iter().enumerate() {
            if column + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<width$}  ", width = widths[column]));
            }
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}

/// Lists the pending and live entries.
pub fn list(args: &LedgerListArgs) -> Result<i32, CliError> {
    let ledger = open_ledger(args.ledger.as_deref())?;
    let entries = ledger.entries()?;
    let now = now();
    match args.format {
        ListFormat::Json => {
            let text = serde_json::to_string_pretty(&list_document(&ledger, &entries))
                .map_err(|error| CliError::io("cannot write the JSON list", error.into()))?;
            println!("{text}");
        }
        ListFormat::Human if entries.is_empty() => {
            println!("nothing outstanding in {}", shown_path(&ledger));
        }
        ListFormat::Human => {
            let mut rows = vec![
                ["ID", "PLATFORM", "TARGET", "PLAN", "STATE", "AGE"]
                    .map(str::to_string)
                    .to_vec(),
            ];
            for entry in &entries {
                rows.push(vec![
                    shown_id(entry),
                    entry.platform.to_string(),
                    entry.target.to_string(),
                    entry.plan.clone(),
                    entry.state.to_string(),
                    age(now - entry.created_at),
                ]);
            }
            print!("{}", table(&rows));
        }
    }
    Ok(0)
}

fn shown_path(ledger: &Ledger) -> String {
    ledger
        .path()
        .map_or_else(|| "memory".to_string(), |path| path.display().to_string())
}

/// Settles every outstanding entry; exit 1 when something could not be removed.
pub async fn cleanup(args: &LedgerCleanupArgs, quiet: bool) -> Result<i32, CliError> {
    let ledger = open_ledger(args.ledger.as_deref())?;
    let progress = Progress::on_stderr(!quiet);
    let outstanding = ledger.entries().map(|entries| entries.len()).unwrap_or(0);
    progress.update(
        0,
        outstanding,
        "ledger entries · replaying pending provisions and deprovisioning live ones".to_string(),
    );
    let settled = AtomicUsize::new(0);
    let outcomes = cleanup_leftovers(&ledger, &dialects::find, args.timeout, &|entry, outcome| {
        let done = settled.fetch_add(1, Ordering::Relaxed) + 1;
        let what = if outcome.is_ok() {
            "settled"
        } else {
            "still there"
        };
        progress.update(
            done,
            outstanding,
            format!(
                "ledger entries · {} on {} {what}",
                shown_id(entry),
                entry.target
            ),
        );
    })
    .await;
    progress.finish();
    let outcomes = outcomes?;
    if outcomes.is_empty() {
        println!("nothing outstanding in {}", shown_path(&ledger));
        return Ok(0);
    }
    let mut removed = 0;
    let mut left = 0;
    for (entry, outcome) in &outcomes {
        let place = format!("{} at {}", entry.platform, entry.target);
        match outcome {
            Ok(()) => {
                let settled = ledger.entry(entry.id)?;
                match settled.as_ref().map(|settled| settled.state) {
                    Some(EntryState::Failed) => println!(
                        "nothing to remove for provision {} on {place}: it created nothing",
                        entry.uuid
                    ),
                    _ => {
                        removed += 1;
                        let id = settled.as_ref().map_or_else(|| shown_id(entry), shown_id);
                        println!("removed {id} from {place}");
                    }
                }
            }
            Err(reason) => {
                left += 1;
                println!(
                    "could not remove {} from {place}: {reason}",
                    shown_id(entry)
                );
            }
        }
    }
    let summary = format!("{removed} removed, {left} left in {}", shown_path(&ledger));
    if left > 0 {
        eprintln!("{summary}; run `addon-conform ledger cleanup` again once the provider answers");
        Ok(1)
    } else {
        eprintln!("{summary}");
        Ok(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_round_down_to_the_largest_unit() {
        assert_eq!(age(-3), "0s");
        assert_eq!(age(59), "59s");
        assert_eq!(age(60), "1m");
        assert_eq!(age(7199), "1h");
        assert_eq!(age(86400 * 3 + 5), "3d");
    }

    #[test]
    fn tables_align_columns() {
        let rows = vec![
            vec!["ID".to_string(), "STATE".to_string()],
            vec!["resource-1".to_string(), "live".to_string()],
        ];
        assert_eq!(table(&rows), "ID          STATE\nresource-1  live\n");
    }
}
