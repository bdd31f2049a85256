//! Progress on standard error while a long command runs: the area and check just decided, the
//! counts so far and the elapsed time. Shown only on a terminal, and never with `--quiet` or
//! when a machine-readable report goes to standard output (where it would share the screen).

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use http_runner::{ProgressEvent, ProgressHook};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use manifest_core::catalog::area_of;

/// A progress line on standard error, or nothing.
#[derive(Debug, Clone)]
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A display when `wanted` and standard error is a terminal; else one that shows nothing.
    pub fn on_stderr(wanted: bool) -> Self {
        if !wanted || !std::io::stderr().is_terminal() {
            return Self::hidden();
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} [{elapsed}] {pos}/{len} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        Self { bar: Some(bar) }
    }

    pub fn hidden() -> Self {
        Self { bar: None }
    }

    /// Sets the counts and what is being done now.
    pub fn update(&self, done: usize, total: usize, message: String) {
        if let Some(bar) = &self.bar {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
            bar.set_message(message);
        }
    }

    /// The engine's hook for a suite run: each verdict moves the line on.
    pub fn suite_hook(&self) -> Option<ProgressHook> {
        let progress = self.clone();
        self.bar.as_ref()?;
        Some(ProgressHook(Arc::new(move |event: &ProgressEvent| {
            progress.update(event.decided, event.total, describe(event));
        })))
    }

    /// Removes the line, before the report or the summary is printed.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// `checks · provision: provision.auth (1 failed)`.
pub fn describe(event: &ProgressEvent) -> String {
    let failed = if event.failed > 0 {
        format!(" ({} failed)", event.failed)
    } else {
        String::new()
    };
    format!("checks · {}: {}{failed}", area_of(event.check), event.check)
}

#[cfg(test)]
mod tests {
    use manifest_core::Status;

    use super::*;

    #[test]
    fn the_line_names_the_area_the_check_and_the_failures() {
        let mut event = ProgressEvent {
            check: "provision.auth",
            status: Status::Fail,
            decided: 12,
            total: 47,
            failed: 1,
        };
        assert_eq!(
            describe(&event),
            "checks · provision: provision.auth (1 failed)"
        );
        event.failed = 0;
        assert_eq!(describe(&event), "checks · provision: provision.auth");
    }

    #[test]
    fn a_hidden_display_gives_the_engine_no_hook() {
        assert!(Progress::hidden().suite_hook().is_none());
        assert!(Progress::on_stderr(false).suite_hook().is_none());
    }
}
