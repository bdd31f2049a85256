//! Whatever a provider sends, the run ends by itself with a failed check and a reason,
//! and credentials never leave the provider's origin.

use std::time::Duration;

use heroku_adapter::Heroku;
use http_runner::{RunOptions, run_suite};
use manifest_core::report::Status;
use manifest_core::{Dialect, Report, Source};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn manifest_for(base: &str) -> String {
    serde_json::json!({
        "id": "hostile",
        "api": {
            "config_vars": ["HOSTILE_URL"],
            "password": "hostile-password-123",
            "sso_salt": "hostile-salt-456",
            "regions": ["us"],
            "production": {"base_url": "https://hostile.example/heroku/resources", "sso_url": "https://hostile.example/sso"},
            "test": {"base_url": format!("{base}/heroku/resources"), "sso_url": format!("{base}/sso")}
        }
    })
    .to_string()
}

async fn run(base: &str, timeout: Duration) -> Report {
    let manifest = Heroku
        .load_manifest(Source::new("hostile.json", manifest_for(base)))
        .unwrap();
    let options = RunOptions {
        seed: 1,
        cases: 1,
        timeout: Some(timeout),
        ..RunOptions::default()
    };
    run_suite(&Heroku, manifest, options, std::future::pending())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_provider_that_hangs_fails_within_the_timeout() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(120)))
        .mount(&server)
        .await;
    // The run returns by itself (each request cut at its deadline, the whole run at its default
    // `max_duration`), and every check that needed the provider says why it did not pass.
    let report = run(&server.uri(), Duration::from_millis(500)).await;
    for check in report
        .checks
        .iter()
        .filter(|check| !check.id.starts_with("manifest."))
    {
        assert_ne!(check.status, Status::Pass, "{}", check.id);
        assert!(!check.message.is_empty(), "{} says why", check.id);
    }
    let status = report.check("provision.status").unwrap();
    assert_eq!(status.status, Status::Fail);
    assert!(
        status.message.contains("no answer within"),
        "{}",
        status.message
    );
    assert_eq!(
        report.check("provision.deadline").unwrap().status,
        Status::Fail
    );
    assert_eq!(report.exit_code(), 1);
}

#[tokio::test]
async fn a_huge_answer_is_capped_and_reported() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![b'x'; 64 * 1024 * 1024]))
        .mount(&server)
        .await;
    let report = run(&server.uri(), Duration::from_secs(20)).await;
    let body = report.check("provision.body").unwrap();
    assert_eq!(body.status, Status::Fail);
    assert!(
        body.message.contains("larger than the size cap"),
        "{}",
        body.message
    );
    let exchange = &body.exchanges[0];
    let response = exchange.response.as_ref().unwrap();
    assert!(response.truncated);
    assert!(response.body.len() <= 16 * 1024);
}

#[tokio::test]
async fn redirects_are_reported_and_credentials_stay_home() {
    let elsewhere = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200))
        .mount(&elsewhere)
        .await;
    let provider = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(307)
                .insert_header("location", format!("{}/steal", elsewhere.uri())),
        )
        .mount(&provider)
        .await;
    let report = run(&provider.uri(), Duration::from_secs(5)).await;
    let status = report.check("provision.status").unwrap();
    assert_eq!(status.status, Status::Fail);
    assert!(
        status.message.contains("redirected (307"),
        "{}",
        status.message
    );
    assert!(
        elsewhere.received_requests().await.unwrap().is_empty(),
        "the other host was contacted"
    );
}

#[tokio::test]
async fn garbage_fails_the_body_check() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![0xff, 0x00, 0x7b, 0x22]))
        .mount(&server)
        .await;
    let report = run(&server.uri(), Duration::from_secs(5)).await;
    let body = report.check("provision.body").unwrap();
    assert_eq!(body.status, Status::Fail);
    assert!(body.message.contains("not JSON"), "{}", body.message);
}

#[tokio::test]
async fn an_unreachable_provider_exits_3() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let report = run(&format!("http://{addr}"), Duration::from_secs(5)).await;
    assert!(report.unreachable);
    assert_eq!(report.exit_code(), 3);
}
