//! The JSON report (`addon-conform/report/v1`): the serde form of [`Report`].

use manifest_core::Report;

pub fn render(report: &Report) -> serde_json::Result<String> {
    let mut text = serde_json::to_string_pretty(report)?;
    text.push('\n');
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::sample;

    #[test]
    fn report_v1() {
        insta::assert_snapshot!(render(&sample::report()).unwrap());
    }

    #[test]
    fn round_trips() {
        let report = sample::report();
        let text = render(&report).unwrap();
        assert_eq!(serde_json::from_str::<Report>(&text).unwrap(), report);
    }
}
