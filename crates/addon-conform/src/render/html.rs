//! The report as one self-contained HTML page: the summary, every check grouped by area with its
//! message, and each exchange folded in a `<details>` with the curl command ready to copy. No
//! script, no stylesheet or font from the network: the page reads the same offline, in a mail
//! attachment or a CI artifact. Everything the provider controls (messages, bodies, headers,
//! server output) is escaped.

use std::fmt::Write;

use manifest_core::catalog::Level;
use manifest_core::{CheckResult, Exchange, Report, Status};

use super::{by_area, run_notes, summary_line};

const STYLE: &str = "
body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:70rem;padding:1rem 1.5rem;color:#1d1f21;background:#fff}
h1{font-size:1.4rem;margin:.2rem 0}h2{font-size:1.1rem;margin:1.4rem 0 .4rem;border-bottom:1px solid #ddd}
dl.run{display:grid;grid-template-columns:max-content 1fr;gap:.1rem 1rem;margin:.5rem 0}dl.run dt{color:#555}dl.run dd{margin:0}
.summary{display:flex;gap:.6rem;flex-wrap:wrap;margin:.8rem 0}.summary span{padding:.2rem .6rem;border-radius:.3rem;font-weight:600}
.note{background:#fff4ce;border-left:4px solid #d9a400;padding:.4rem .8rem;margin:.4rem 0}
details.check,details.server{border:1px solid #e1e1e1;border-radius:.3rem;margin:.25rem 0}
details.check>summary,details.server>summary{padding:.3rem .6rem;cursor:pointer}
details.check>div,details.server>div{padding:0 .8rem .6rem}details.exchange{margin:.4rem 0 .4rem 1rem}
.badge{display:inline-block;min-width:3.2rem;text-align:center;border-radius:.25rem;font:600 .8rem monospace;padding:.1rem .3rem;margin-right:.5rem}
.summary .pass,.badge.pass{background:#d8f5dd;color:#0b5d1e}.summary .fail,.badge.fail{background:#ffd9d9;color:#8b0000}
.summary .warn,.badge.warn{background:#fff0c2;color:#6b4d00}.summary .skip,.badge.skip{background:#eee;color:#555}
details.check.fail{border-left:4px solid #c62828}details.check.warn{border-left:4px solid #d9a400}
.level,.time{color:#666;font-size:.85rem;margin-left:.5rem}
.message{white-space:pre-wrap;margin:.4rem 0}
pre{background:#f6f8fa;border:1px solid #e1e4e8;border-radius:.3rem;padding:.5rem;overflow-x:auto;white-space:pre-wrap;word-break:break-all;margin:.3rem 0}
pre.curl{user-select:all;background:#1d1f21;color:#f0f0f0}
h4{margin:.5rem 0 .1rem;font-size:.85rem;color:#444}
";

/// Escapes text for HTML content and attribute values, and makes visible what HTML may not
/// carry (control characters, noncharacters) instead of letting it break the page.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' => out.push(character),
            '\r' => out.push_str("\\r"),
            c if c.is_control() || is_noncharacter(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

fn is_noncharacter(character: char) -> bool {
    let code = u32::from(character);
    (0xFDD0..=0xFDEF).contains(&code) || code & 0xFFFE == 0xFFFE
}

/// A `<pre>` whose first character survives: HTML drops one newline right after `<pre>`.
fn pre(out: &mut String, class: &str, text: &str) {
    let class = if class.is_empty() {
        String::new()
    } else {
        format!(" class=\"{class}\"")
    };
    let _ = writeln!(out, "<pre{class}>\n{}</pre>", escape(text));
}

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let summary = &report.summary;
    let verdict = if report.exit_code() == manifest_core::exit::PASSED {
        "passed"
    } else {
        "failed"
    };
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>addon-conform {verdict}: {} {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        escape(report.platform.as_str()),
        escape(&report.target)
    );
    let _ = writeln!(
        out,
        "<header>\n<h1>addon-conform report: {} {verdict}</h1>",
        escape(report.platform.as_str())
    );
    let _ = writeln!(out, "<dl class=\"run\">");
    for (term, value) in [
        ("target", report.target.clone()),
        ("environment", report.environment.as_str().to_string()),
        ("seed", report.seed.to_string()),
        ("duration", format!("{} ms", report.duration_ms)),
        (
            "tool",
            format!("{} {}", report.tool.name, report.tool.version),
        ),
        ("schema", report.schema.clone()),
    ] {
        let _ = writeln!(out, "<dt>{term}</dt><dd>{}</dd>", escape(&value));
    }
    let _ = writeln!(out, "</dl>\n<p class=\"summary\">");
    for (count, label, class) in [
        (summary.passed, "passed", "pass"),
        (summary.failed, "failed", "fail"),
        (summary.known, "known from the baseline", "skip"),
        (summary.warned, "warned", "warn"),
        (summary.skipped, "skipped", "skip"),
    ] {
        if label.starts_with("known") && count == 0 {
            continue;
        }
        let _ = writeln!(out, "<span class=\"{class}\">{count} {label}</span>");
    }
    let _ = writeln!(out, "</p>\n<p>{}</p>", escape(&summary_line(report)));
    for note in run_notes(report) {
        let _ = writeln!(out, "<p class=\"note\">{}</p>", escape(&note));
    }
    if let Some(server) = &report.server {
        let _ = writeln!(
            out,
            "<details class=\"server\" open><summary>the server <code>{}</code>: its last lines \
             of output</summary><div>",
            escape(&server.command)
        );
        pre(&mut out, "", &server.last_lines.join("\n"));
        let _ = writeln!(out, "</div></details>");
    }
    let _ = writeln!(out, "</header>\n<main>");
    for (area, checks) in by_area(&report.checks) {
        let _ = writeln!(out, "<section id=\"{0}\">\n<h2>{0}</h2>", escape(area));
        for check in checks {
            render_check(&mut out, check);
        }
        let _ = writeln!(out, "</section>");
    }
    let _ = writeln!(out, "</main>\n</body>\n</html>");
    out
}

fn render_check(out: &mut String, check: &CheckResult) {
    let class = check.status.as_str();
    // Failures are unfolded: they are what the reader came for.
    let open = if check.status == Status::Fail {
        " open"
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "<details class=\"check {class}\" id=\"{id}\"{open}><summary><span class=\"badge \
         {class}\">{label}</span><code>{id}</code><span class=\"level\">{level}</span>\
         <span class=\"time\">{ms} ms</span>{known}</summary><div>",
        known = if check.baseline.is_some() {
            "<span class=\"level\">known from the baseline</span>"
        } else {
            ""
        },
        id = escape(&check.id),
        label = check.status.as_str().to_uppercase(),
        level = match check.level {
            Level::Must => "must",
            Level::Should => "should",
        },
        ms = check.duration_ms,
    );
    if check.message.is_empty() {
        let _ = writeln!(out, "<p class=\"message\">no remarks</p>");
    } else {
        let _ = writeln!(out, "<p class=\"message\">{}</p>", escape(&check.message));
    }
    for (index, exchange) in check.exchanges.iter().enumerate() {
        render_exchange(out, index + 1, exchange);
    }
    if let Some(reproduction) = &check.reproduction {
        let _ = writeln!(
            out,
            "<h4>reproduction (for <code>addon-conform replay</code>)</h4>"
        );
        pre(
            out,
            "",
            &serde_json::to_string_pretty(reproduction).unwrap_or_default(),
        );
    }
    let _ = writeln!(out, "</div></details>");
}

fn render_exchange(out: &mut String, number: usize, exchange: &Exchange) {
    let outcome = match (&exchange.response, &exchange.error) {
        (Some(response), _) => format!("HTTP {}", response.status),
        (None, Some(error)) => format!("no response: {error}"),
        (None, None) => "no response".to_string(),
    };
    let _ = writeln!(
        out,
        "<details class=\"exchange\"><summary>{number}. {} {} &#8594; {} ({} ms)</summary>",
        escape(&exchange.request.method),
        escape(&exchange.request.url),
        escape(&outcome),
        exchange.duration_ms
    );
    let _ = writeln!(out, "<h4>curl</h4>");
    pre(out, "curl", &exchange.curl);
    let request = &exchange.request;
    let mut text = format!("{} {}\n", request.method, request.url);
    for (name, value) in &request.headers {
        let _ = writeln!(text, "{name}: {value}");
    }
    if !request.body.is_empty() {
        let _ = write!(text, "\n{}", request.body);
    }
    let _ = writeln!(out, "<h4>request</h4>");
    pre(out, "", &text);
    if let Some(response) = &exchange.response {
        let mut text = format!("HTTP {}\n", response.status);
        for (name, value) in &response.headers {
            let _ = writeln!(text, "{name}: {value}");
        }
        if !response.body.is_empty() {
            let _ = write!(text, "\n{}", response.body);
        }
        if response.truncated {
            text.push_str("\n[body cut at the size cap]");
        }
        let _ = writeln!(out, "<h4>response</h4>");
        pre(out, "", &text);
    }
    let _ = writeln!(out, "</details>");
}

#[cfg(test)]
mod tests {
    use html5ever::tendril::TendrilSink;
    use manifest_core::report::ServerOutput;
    use markup5ever_rcdom::{Handle, NodeData, RcDom};

    use super::*;
    use crate::render::sample;

    /// Parses `html` as an HTML5 browser would, failing on any parse error.
    fn parse(html: &str) -> Handle {
        let dom = html5ever::parse_document(RcDom::default(), Default::default()).one(html);
        let errors = dom.errors.borrow();
        assert!(errors.is_empty(), "HTML5 parse errors: {errors:?}\n{html}");
        dom.document.clone()
    }

    fn elements(node: &Handle, name: &str, found: &mut Vec<Handle>) {
        if let NodeData::Element { name: tag, .. } = &node.data
            && &*tag.local == name
        {
            found.push(node.clone());
        }
        for child in node.children.borrow().iter() {
            elements(child, name, found);
        }
    }

    fn all(node: &Handle, name: &str) -> Vec<Handle> {
        let mut found = Vec::new();
        elements(node, name, &mut found);
        found
    }

    fn attribute(node: &Handle, wanted: &str) -> Option<String> {
        let NodeData::Element { attrs, .. } = &node.data else {
            return None;
        };
        attrs
            .borrow()
            .iter()
            .find(|attr| &*attr.name.local == wanted)
            .map(|attr| attr.value.to_string())
    }

    fn text(node: &Handle) -> String {
        let mut out = String::new();
        if let NodeData::Text { contents } = &node.data {
            out.push_str(&contents.borrow());
        }
        for child in node.children.borrow().iter() {
            out.push_str(&text(child));
        }
        out
    }

    fn with_class(node: &Handle, name: &str, class: &str) -> Vec<Handle> {
        all(node, name)
            .into_iter()
            .filter(|element| {
                attribute(element, "class")
                    .is_some_and(|classes| classes.split(' ').any(|c| c == class))
            })
            .collect()
    }

    /// Nothing that runs, nothing fetched: the page reads the same offline.
    #[track_caller]
    fn assert_self_contained(document: &Handle) {
        for tag in [
            "script", "link", "img", "iframe", "object", "embed", "base", "form",
        ] {
            assert!(all(document, tag).is_empty(), "a <{tag}> in the page");
        }
        for tag in ["a", "details", "summary", "pre", "p", "span", "code"] {
            for element in all(document, tag) {
                let NodeData::Element { attrs, .. } = &element.data else {
                    continue;
                };
                for attr in attrs.borrow().iter() {
                    let name: &str = &attr.name.local;
                    assert!(
                        ["class", "id", "open"].contains(&name),
                        "<{tag} {name}=...> in the page"
                    );
                }
            }
        }
    }

    #[test]
    fn the_page_is_html5_with_every_check_and_its_curl() {
        let report = sample::report();
        let document = parse(&render(&report));
        assert_self_contained(&document);
        let checks = with_class(&document, "details", "check");
        assert_eq!(checks.len(), report.checks.len());
        for (element, check) in checks.iter().zip(&report.checks) {
            assert_eq!(attribute(element, "id").as_deref(), Some(check.id.as_str()));
            assert_eq!(
                attribute(element, "open").is_some(),
                check.status == Status::Fail,
                "only failures are unfolded"
            );
        }
        let curls: Vec<String> = with_class(&document, "pre", "curl")
            .iter()
            .map(text)
            .collect();
        let expected: Vec<&str> = report
            .checks
            .iter()
            .flat_map(|check| {
                check
                    .exchanges
                    .iter()
                    .map(|exchange| exchange.curl.as_str())
            })
            .collect();
        assert_eq!(curls, expected, "each curl, exactly, ready to copy");
        let title = text(&all(&document, "title")[0]);
        assert!(title.starts_with("addon-conform failed: heroku"), "{title}");
    }

    #[test]
    fn provider_text_cannot_escape_its_element() {
        let hostile =
            "</p></details><script>alert(1)</script><!-- & \"quoted\" 'single' <img src=x>";
        let mut report = sample::report();
        report.checks[3].message = hostile.into();
        let exchange = &mut report.checks[3].exchanges[0];
        exchange.response.as_mut().unwrap().body =
            format!("</pre>{hostile}\u{0}\u{1b}[31m\u{fffe}\r\n");
        exchange
            .request
            .headers
            .insert("x-evil".into(), "\"><script>alert(2)</script>".into());
        report.server = Some(ServerOutput {
            command: "serve --flag '<b>'".into(),
            last_lines: vec![hostile.into(), "</pre><script>".into()],
        });
        let html = render(&report);
        let document = parse(&html);
        assert_self_contained(&document);
        let messages = with_class(&document, "p", "message");
        assert!(
            messages.iter().any(|message| text(message) == hostile),
            "the message reads as it was sent"
        );
        assert!(
            html.contains("\\u{0}\\u{1b}[31m\\u{fffe}\\r"),
            "control characters are shown"
        );
        assert_eq!(
            with_class(&document, "details", "check").len(),
            report.checks.len()
        );
    }
}
