//! JUnit XML: one test suite per area, one test case per check. Failures carry the reason and the
//! curl command; skips carry the reason; warnings pass with the warning on standard output, since
//! a `should` rule does not fail a build. Provider-controlled text is [`xml_safe`].

use std::time::Duration;

use manifest_core::{Report, Status};
use quick_junit::{NonSuccessKind, SerializeError, TestCase, TestCaseStatus, TestSuite};

use super::{by_area, evidence, terminal_safe};

pub fn render(report: &Report) -> Result<String, SerializeError> {
    let mut junit = quick_junit::Report::new("addon-conform");
    junit.set_time(Duration::from_millis(report.duration_ms));
    for (area, checks) in by_area(&report.checks) {
        let name = format!("addon-conform.{}.{area}", report.platform);
        let mut suite = TestSuite::new(name.as_str());
        let mut suite_time = Duration::ZERO;
        for check in checks {
            let status = match check.status {
                Status::Pass | Status::Warn => TestCaseStatus::success(),
                Status::Fail => {
                    let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    status.set_message(xml_safe(&check.message));
                    let mut text = check.message.clone();
                    for line in evidence(check) {
                        text.push('\n');
                        text.push_str(&line);
                    }
                    status.set_description(xml_safe(&text));
                    status
                }
                Status::Skip => {
                    let mut status = TestCaseStatus::skipped();
                    status.set_message(xml_safe(&check.message));
                    status
                }
            };
            let mut case = TestCase::new(check.id.as_str(), status);
            case.set_classname(name.as_str());
            let time = Duration::from_micros(check.duration_us);
            case.set_time(time);
            suite_time += time;
            if check.status == Status::Warn {
                case.set_system_out(xml_safe(&format!("warning: {}", check.message)));
            }
            suite.add_test_case(case);
        }
        suite.set_time(suite_time);
        junit.add_test_suite(suite);
    }
    junit.to_string()
}

/// Text for JUnit with nothing hidden and nothing XML 1.0 forbids: what could steer a terminal
/// written as a visible escape, as for a terminal ([`terminal_safe`]; CI logs print these
/// messages), which covers the C0 controls XML forbids, and U+FFFE and U+FFFF written so too.
/// Left to quick-junit, the C0 controls (and the ANSI sequences they start) would silently
/// vanish and the other two would make the file unreadable.
fn xml_safe(text: &str) -> String {
    let safe = terminal_safe(text);
    let forbidden = |c: char| matches!(c, '\u{fffe}' | '\u{ffff}');
    if !safe.contains(forbidden) {
        return safe;
    }
    safe.chars()
        .map(|c| {
            if forbidden(c) {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::sample;

    #[test]
    fn characters_xml_forbids_are_shown_as_escapes() {
        assert_eq!(
            xml_safe("a\u{1b}[2K\0b\u{ffff}\u{fffe}\r\n\tc"),
            "a\\u{1b}[2K\\u{0}b\\u{ffff}\\u{fffe}\\u{d}\n\tc"
        );
        assert_eq!(xml_safe("plain ☃ text"), "plain ☃ text");
    }

    #[test]
    fn one_suite_per_area() {
        insta::assert_snapshot!(render(&sample::report()).unwrap());
    }
}
