//! `--server CMD`: the provider under test started from a command, waited for, tested and
//! stopped, also when it never comes up.

use std::net::{TcpListener, TcpStream};
use std::path::Path;

use reference_addon::ReferenceAddon;
use serde_json::Value;

use crate::harness::{BIN, addon_conform_async};

/// A loopback port nobody listens on now, for a server the test starts to take.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Writes a reference add-on's manifest whose URLs are on `port`, and returns the command that
/// serves an add-on accepting it there, with `faults`.
async fn reference_on(dir: &Path, port: u16, faults: &[&str]) -> String {
    let shape = ReferenceAddon::new(heroku_adapter::PLATFORM)
        .start()
        .await
        .unwrap();
    let manifest = shape
        .manifest_json()
        .replace(&shape.addr().to_string(), &format!("127.0.0.1:{port}"));
    shape.shutdown().await;
    std::fs::write(dir.join("addon-manifest.json"), manifest).unwrap();
    let mut command =
        format!("'{BIN}' serve-reference --port {port} --secrets-from addon-manifest.json");
    for fault in faults {
        command.push_str(&format!(" --fault {fault}"));
    }
    command
}

/// Whether process `pid` still runs; a zombie waiting to be reaped by init has stopped.
fn is_running(pid: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{}/stat", pid.trim())).is_ok_and(|stat| {
        let state = stat.rsplit_once(')').map(|(_, rest)| rest.trim_start());
        !matches!(state.and_then(|rest| rest.chars().next()), Some('Z' | 'X'))
    })
}

#[track_caller]
fn assert_stopped(port: u16) {
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the server still listens on {port}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_provider_started_from_a_command_is_tested_and_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let server = reference_on(dir.path(), port, &[]).await;
    let run = addon_conform_async(
        dir.path(),
        &[
            "test", "--server", &server, "--format", "json", "--seed", "3",
        ],
    )
    .await;
    run.expect_code(0);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["summary"]["failed"], 0, "{}", run.stdout);
    assert!(
        report.get("server").is_none(),
        "a passing run carries no server output"
    );
    assert_stopped(port);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_run_reports_the_servers_last_lines() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let server = reference_on(dir.path(), port, &["accepts-wrong-password"]).await;
    let run = addon_conform_async(
        dir.path(),
        &[
            "test",
            "--server",
            &server,
            "--format",
            "json",
            "--only",
            "provision.*",
        ],
    )
    .await;
    run.expect_code(1);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["server"]["command"], server.as_str());
    let lines: Vec<&str> = report["server"]["last_lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| line.as_str().unwrap())
        .collect();
    assert!(
        lines
            .iter()
            .any(|line| line.contains(&format!("listening on http://127.0.0.1:{port}"))),
        "{lines:?}"
    );
    assert_stopped(port);

    let human = addon_conform_async(
        dir.path(),
        &["test", "--server", &server, "--only", "provision.auth"],
    )
    .await;
    human.expect_code(1);
    assert!(human.stdout.contains("printed last:"), "{human:#?}");
    assert_stopped(port);
}

#[tokio::test(flavor = "multi_thread")]
async fn run_starts_and_stops_the_server_around_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let server = reference_on(dir.path(), port, &[]).await;
    let run = addon_conform_async(dir.path(), &["run", "--server", &server, "--", "env"]).await;
    run.expect_code(0);
    assert!(run.stdout.contains("REFERENCE_DB_URL="), "{run:#?}");
    assert_stopped(port);
}

#[tokio::test(flavor = "multi_thread")]
async fn load_starts_and_stops_the_server_around_its_cycles() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("ledger.sqlite3");
    let ledger = ledger.to_str().unwrap();
    let port = free_port();
    let server = reference_on(dir.path(), port, &[]).await;
    let load = addon_conform_async(
        dir.path(),
        &[
            "load",
            "--server",
            &server,
            "--cycles",
            "6",
            "--concurrency",
            "3",
            "--format",
            "json",
            "--ledger",
            ledger,
        ],
    )
    .await;
    load.expect_code(0);
    let document: Value = serde_json::from_str(&load.stdout).unwrap();
    assert_eq!(document["operations"][2]["count"], 6, "{}", load.stdout);
    assert_eq!(document["left_provisioned"], serde_json::json!([]));
    assert_stopped(port);

    let failing = reference_on(dir.path(), port, &["provision-fails"]).await;
    let load = addon_conform_async(
        dir.path(),
        &[
            "load", "--server", &failing, "--cycles", "2", "--ledger", ledger,
        ],
    )
    .await;
    load.expect_code(1);
    assert!(load.stderr.contains("printed last:"), "{load:#?}");
    assert!(
        load.stderr
            .contains(&format!("listening on http://127.0.0.1:{port}")),
        "{load:#?}"
    );
    assert_stopped(port);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_never_listens_is_stopped_with_its_output() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    reference_on(dir.path(), port, &[]).await;
    let run = addon_conform_async(
        dir.path(),
        &[
            "test",
            "--server",
            "echo $$ > server.pid; echo compiling the provider; exec sleep 600",
            "--server-timeout",
            "1",
        ],
    )
    .await;
    run.expect_code(3);
    assert!(
        run.stderr
            .contains("did not accept connections on 127.0.0.1"),
        "{run:#?}"
    );
    assert!(run.stderr.contains("| compiling the provider"), "{run:#?}");
    let pid = std::fs::read_to_string(dir.path().join("server.pid")).unwrap();
    assert!(
        !is_running(&pid),
        "the server process {pid} outlived the command"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_exits_early_is_reported_with_its_output() {
    let dir = tempfile::tempdir().unwrap();
    reference_on(dir.path(), free_port(), &[]).await;
    let run = addon_conform_async(
        dir.path(),
        &[
            "test",
            "--server",
            "echo 'missing DATABASE_URL' >&2; exit 4",
        ],
    )
    .await;
    run.expect_code(3);
    assert!(run.stderr.contains("exited (exit status: 4)"), "{run:#?}");
    assert!(run.stderr.contains("| missing DATABASE_URL"), "{run:#?}");
}

/// A server that ignores SIGTERM is killed after the grace period, its children with it.
#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_ignores_sigterm_is_killed() {
    let addon = ReferenceAddon::new(heroku_adapter::PLATFORM)
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("addon-manifest.json"),
        addon.manifest_json(),
    )
    .unwrap();
    // Readiness on a port the test holds open, so the stubborn server need not listen itself.
    let ready = TcpListener::bind("127.0.0.1:0").unwrap();
    let ready_url = format!("http://{}/", ready.local_addr().unwrap());
    let run = addon_conform_async(
        dir.path(),
        &[
            "test",
            "--server",
            "trap '' TERM; sleep 600 & echo $! > child.pid; wait",
            "--server-ready",
            &ready_url,
            "--only",
            "manifest.*",
        ],
    )
    .await;
    run.expect_code(0);
    let pid = std::fs::read_to_string(dir.path().join("child.pid")).unwrap();
    assert!(
        !is_running(&pid),
        "the server's child {pid} outlived the command"
    );
    addon.shutdown().await;
}
