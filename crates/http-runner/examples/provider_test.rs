//! How a provider runs the conformance suite from its own Rust tests.
//!
//! A provider's test would start its own server and load its own `addon-manifest.json`; this
//! example starts the embedded reference add-on instead so that it runs anywhere:
//!
//! ```sh
//! cargo run -p http-runner --example provider_test
//! ```

use heroku_adapter::Heroku;
use http_runner::{RunOptions, run_suite};
use manifest_core::report::Status;
use manifest_core::{Dialect, Source};
use reference_addon::ReferenceAddon;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. The provider under test. Yours: your dev server, and the manifest that points at it.
    let provider = ReferenceAddon::new(heroku_adapter::PLATFORM)
        .start()
        .await?;
    let source = Source::new("addon-manifest.json", provider.manifest_json());

    // 2. The dialect of the platform the manifest is written for, and the manifest through it.
    //    A manifest that cannot be read comes back as diagnostics with `file:line:column`.
    let dialect = Heroku;
    let manifest = dialect.load_manifest(source)?;

    // 3. The whole suite. A fixed seed makes the generated inputs, and so the run, repeatable.
    let options = RunOptions {
        seed: 42,
        cases: 1,
        ..RunOptions::default()
    };
    let report = run_suite(&dialect, manifest, options, std::future::pending()).await?;

    // 4. Assertions on the report: the same data as `addon-conform test --format json`.
    for check in &report.checks {
        if check.status == Status::Fail {
            eprintln!("{}: {}", check.id, check.message);
        }
    }
    assert_eq!(report.summary.failed, 0, "the provider broke a rule");
    assert!(provider.live_resources().is_empty(), "the run cleans up");
    println!(
        "{} passed, {} failed, {} warned, {} skipped (seed {})",
        report.summary.passed,
        report.summary.failed,
        report.summary.warned,
        report.summary.skipped,
        report.seed
    );
    provider.shutdown().await;
    Ok(())
}
