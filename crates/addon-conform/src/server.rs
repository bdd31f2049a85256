//! `--server CMD`: the provider under test, started by the tool. The command runs as `sh -c CMD`
//! in a process group of its own; the tool waits until the provider accepts TCP connections,
//! keeps its last lines of output, and stops the whole group when the command ends, whatever
//! happened (SIGTERM, then SIGKILL after a grace period).

use std::collections::VecDeque;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use url::Url;

use http_runner::Redactor;
use manifest_core::exit;
use manifest_core::report::ServerOutput;

use crate::args::ServerArgs;
use crate::commands::test::ctrl_c;
use crate::error::CliError;

/// How many of the server's last lines of output are kept.
pub const KEPT_LINES: usize = 40;

/// How long the server may take to exit after SIGTERM before its group gets SIGKILL.
pub const STOP_GRACE: Duration = Duration::from_secs(5);

/// A line longer than this is cut: a server printing a megabyte without a newline must not
/// fill the report.
const LINE_CAP: usize = 1000;

/// How long one connection attempt may take before it counts as not ready.
const CONNECT_ATTEMPT: Duration = Duration::from_secs(1);

/// The longest pause between two connection attempts.
const MAX_PAUSE: Duration = Duration::from_millis(250);

type Lines = Arc<Mutex<VecDeque<String>>>;

/// A running provider under test.
#[derive(Debug)]
pub struct Server {
    command: String,
    child: Child,
    group: Option<Pid>,
    output: Lines,
    readers: Vec<JoinHandle<()>>,
}

/// What a stopped server left: its command and its last lines of output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stopped {
    pub command: String,
    pub last_lines: Vec<String>,
}

impl Server {
    /// Starts `command` and waits, at most `timeout`, until `ready` accepts TCP connections.
    /// When it never does, exits first, or `interrupt` completes, the server is stopped and the
    /// error carries its last lines of output.
    pub async fn start(
        command: &str,
        ready: &Url,
        timeout: Duration,
        interrupt: impl Future<Output = ()>,
    ) -> Result<Server, CliError> {
        let addresses = ready.socket_addrs(|| None).map_err(|error| {
            CliError::usage(format!(
                "cannot resolve the server's address {ready}: {error}"
            ))
        })?;
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(command)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .map_err(|error| CliError::io("cannot start the server with sh", error))?;
        let output: Lines = Arc::default();
        let mut readers = Vec::new();
        if let Some(stdout) = child.stdout.take() {
            readers.push(tokio::spawn(keep_lines(stdout, Arc::clone(&output))));
        }
        if let Some(stderr) = child.stderr.take() {
            readers.push(tokio::spawn(keep_lines(stderr, Arc::clone(&output))));
        }
        let group = child
            .id()
            .and_then(|id| i32::try_from(id).ok())
            .map(Pid::from_raw);
        let mut server = Server {
            command: command.to_string(),
            child,
            group,
            output,
            readers,
        };
        let waited = tokio::select! {
            waited = server.wait_ready(&addresses, timeout) => waited,
            () = interrupt => Err("interrupted while waiting for the server to accept connections".to_string()),
        };
        match waited {
            Ok(()) => Ok(server),
            Err(reason) => {
                let stopped = server.stop().await;
                Err(CliError::Server {
                    message: format!("the server `{command}` {reason}"),
                    last_lines: stopped.last_lines,
                })
            }
        }
    }

    async fn wait_ready(
        &mut self,
        addresses: &[std::net::SocketAddr],
        timeout: Duration,
    ) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        let listed: Vec<String> = addresses.iter().map(ToString::to_string).collect();
        let mut pause = Duration::from_millis(20);
        loop {
            for address in addresses {
                if let Ok(Ok(_)) =
                    tokio::time::timeout(CONNECT_ATTEMPT, TcpStream::connect(address)).await
                {
                    return Ok(());
                }
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "did not accept connections on {} within {} s",
                    listed.join(", "),
                    timeout.as_secs_f64()
                ));
            }
            // Polling is the only way to learn when another process starts listening; the
            // server exiting meanwhile ends the wait at once.
            tokio::select! {
                status = self.child.wait() => {
                    return Err(match status {
                        Ok(status) => format!("exited ({status}) before accepting connections on {}", listed.join(", ")),
                        Err(error) => format!("could not be waited for: {error}"),
                    });
                }
                () = tokio::time::sleep(pause.min(deadline - Instant::now())) => {}
            }
            pause = (pause * 2).min(MAX_PAUSE);
        }
    }

    /// Stops the server's whole process group: SIGTERM, then SIGKILL to whatever is left after
    /// [`STOP_GRACE`]. Returns its last lines of output.
    pub async fn stop(mut self) -> Stopped {
        if let Some(group) = self.group {
            // The group may be gone already (the server exited): nothing to signal then.
            let _ = killpg(group, Signal::SIGTERM);
            let _ = tokio::time::timeout(STOP_GRACE, self.child.wait()).await;
            let _ = killpg(group, Signal::SIGKILL);
        }
        let _ = self.child.wait().await;
        for reader in self.readers.drain(..) {
            // A descendant that left the group may still hold the pipes open; its output is
            // not worth waiting for.
            let _ = tokio::time::timeout(Duration::from_secs(1), reader).await;
        }
        Stopped {
            command: self.command.clone(),
            last_lines: last_lines(&self.output),
        }
    }
}

fn last_lines(output: &Lines) -> Vec<String> {
    output
        .lock()
        .map(|lines| lines.iter().cloned().collect())
        .unwrap_or_default()
}

/// Reads `stream` line by line into `output`, keeping the last [`KEPT_LINES`]; bytes that are
/// not UTF-8 are replaced, not refused.
async fn keep_lines(stream: impl AsyncRead + Unpin, output: Lines) {
    let mut reader = BufReader::new(stream);
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let mut text = String::from_utf8_lossy(&line).trim_end().to_string();
        if text.len() > LINE_CAP {
            let mut end = LINE_CAP;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            text.truncate(end);
            text.push_str(" [cut]");
        }
        if let Ok(mut lines) = output.lock() {
            if lines.len() == KEPT_LINES {
                lines.pop_front();
            }
            lines.push_back(text);
        }
    }
}

/// Runs `body` with the provider that `args` names started before it and stopped after it,
/// whatever `body` returned. Without `--server`, just runs `body`.
pub async fn around<T>(
    args: &ServerArgs,
    provisioning_url: Option<&Url>,
    body: impl Future<Output = T>,
) -> Result<(T, Option<Stopped>), CliError> {
    let Some(command) = &args.server else {
        return Ok((body.await, None));
    };
    let ready = args
        .server_ready
        .as_ref()
        .or(provisioning_url)
        .ok_or_else(|| {
            CliError::usage(
                "--server: the manifest names no URL to wait for; pass --server-ready URL",
            )
        })?;
    let server = Server::start(command, ready, args.server_timeout, ctrl_c()).await?;
    let value = body.await;
    Ok((value, Some(server.stop().await)))
}

/// [`around`] for a command that ends with an exit code and no report: when the code is not
/// a pass, what the server printed last goes to standard error.
pub async fn around_exit_code(
    args: &ServerArgs,
    provisioning_url: Option<&Url>,
    redactor: &Redactor,
    body: impl Future<Output = Result<i32, CliError>>,
) -> Result<i32, CliError> {
    let (code, server) = around(args, provisioning_url, body).await?;
    let code = code?;
    if let Some(server) = server
        && code != exit::PASSED
    {
        let server = server.to_report(redactor);
        eprintln!("the server `{}` printed last:", server.command);
        for line in &server.last_lines {
            eprintln!("  | {line}");
        }
    }
    Ok(code)
}

impl Stopped {
    /// The server's part of a report, with the manifest's secrets redacted.
    pub fn to_report(&self, redactor: &Redactor) -> ServerOutput {
        ServerOutput {
            command: redactor.redact(&self.command),
            last_lines: self
                .last_lines
                .iter()
                .map(|line| redactor.redact(line))
                .collect(),
        }
    }
}
