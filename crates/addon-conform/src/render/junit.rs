//! JUnit XML: one test suite per area, one test case per check. Failures carry the reason and the
//! curl command; skips carry the reason; warnings pass with the warning on standard output, since
//! a `should` rule does not fail a build.

use std::time::Duration;

use manifest_core::{Report, Status};
use quick_junit::{NonSuccessKind, SerializeError, TestCase, TestCaseStatus, TestSuite};

use super::{by_area, evidence};

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
                    status.set_message(check.message.as_str());
                    let mut text = check.message.clone();
                    for line in evidence(check) {
                        text.push('\n');
                        text.push_str(&line);
                    }
                    status.set_description(text);
                    status
                }
                Status::Skip => {
                    let mut status = TestCaseStatus::skipped();
                    status.set_message(check.message.as_str());
                    status
                }
            };
            let mut case = TestCase::new(check.id.as_str(), status);
            case.set_classname(name.as_str());
            let time = Duration::from_micros(check.duration_us);
            case.set_time(time);
            suite_time += time;
            if check.status == Status::Warn {
                case.set_system_out(format!("warning: {}", check.message));
            }
            suite.add_test_case(case);
        }
        suite.set_time(suite_time);
        junit.add_test_suite(suite);
    }
    junit.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::sample;

    #[test]
    fn one_suite_per_area() {
        insta::assert_snapshot!(render(&sample::report()).unwrap());
    }
}
