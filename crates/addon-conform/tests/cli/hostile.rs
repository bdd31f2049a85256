//! The binary against hostile providers the tests start on loopback: one that echoes every
//! credential and token it receives into its answers, one with terminal controls in its answers,
//! one that hangs after provisioning, one with a config of 80 000 keys; and the files it writes.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use manifest_core::Platform;
use reference_addon::ReferenceAddon;

use crate::harness::addon_conform_async;

/// Every secret-looking value the echoing provider was sent.
/// What the echoing provider received: each request's credential (the password of a Basic pair,
/// or the header token) with every form it arrived in, and the token fields of its body and
/// query.
type Seen = Arc<Mutex<Vec<(Option<String>, Vec<String>)>>>;

/// Answers every request with everything it was sent: the Authorization and Authentication
/// headers, the decoded Basic pair, the URL with its query, the body. Provisions succeed (so
/// every later check runs and quotes the echo); everything else is refused with the echo.
async fn echo(seen: Seen, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let header = |name: &str| {
        headers
            .get(name)
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
            .unwrap_or_default()
    };
    let authorization = header("authorization");
    let authentication = header("authentication");
    let basic = authorization
        .strip_prefix("Basic ")
        .unwrap_or_default()
        .to_string();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(&basic)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default();
    let body = String::from_utf8_lossy(&body).into_owned();
    {
        let mut seen = seen.lock().unwrap();
        let query = uri.query().unwrap_or_default().to_string();
        let pairs = url::form_urlencoded::parse(query.as_bytes())
            .chain(url::form_urlencoded::parse(body.as_bytes()))
            .filter(|(key, _)| key.contains("token"))
            .map(|(_, value)| value.into_owned());
        let mut values: Vec<String> = pairs.collect();
        let json = serde_json::from_str::<serde_json::Value>(&body).unwrap_or_default();
        for (key, value) in json.as_object().into_iter().flatten() {
            if key.contains("token") {
                values.extend(value.as_str().map(str::to_string));
            }
        }
        values.retain(|value| value.len() >= 6);
        seen.push((None, values));
        let credential = match decoded.split_once(':') {
            Some((_, password)) => password.to_string(),
            None if !decoded.is_empty() => decoded.clone(),
            None => authentication.clone(),
        };
        let mut forms = vec![basic.clone(), decoded.clone(), authentication.clone()];
        forms.push(credential.clone());
        forms.retain(|value| value.len() >= 6);
        seen.push((Some(credential), forms));
    }
    let echo = format!(
        "invalid credentials {decoded} (Authorization: {authorization}; Authentication: \
         {authentication}) for {method} {uri} with {body}"
    );
    let provision = method == Method::POST
        && (uri.path().ends_with("/resources") || uri.path().ends_with("/provision"));
    if provision {
        let answer = serde_json::json!({
            "id": format!("echo-{}", body.len()),
            "config": {"MYADDON_URL": echo, "MYADDON_ECHO": echo},
            "envs": [{"key": "MYADDON_URL", "value": echo}],
            "message": echo,
        });
        (StatusCode::CREATED, axum::Json(answer)).into_response()
    } else {
        (StatusCode::UNPROCESSABLE_ENTITY, echo).into_response()
    }
}

/// Starts the echoing provider; returns its address and what it was sent.
async fn start_echo() -> (std::net::SocketAddr, Seen) {
    let seen: Seen = Arc::default();
    let state = seen.clone();
    let app = axum::Router::new().fallback(move |method, uri, headers, body| {
        echo(state.clone(), method, uri, headers, body)
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, seen)
}

/// A manifest of `platform` (with fresh secrets) pointing at `addr`, and its secrets.
async fn manifest_for(platform: Platform, addr: std::net::SocketAddr) -> (String, Vec<String>) {
    let reference = ReferenceAddon::new(platform).start().await.unwrap();
    let manifest = reference
        .manifest_json()
        .replace(&reference.addr().to_string(), &addr.to_string());
    reference.shutdown().await;
    let secrets = secrets_of(&manifest);
    assert!(!secrets.is_empty(), "the manifest has secrets: {manifest}");
    (manifest, secrets)
}

/// The values of the manifest's secret keys, whatever its format (JSON or YAML).
fn secrets_of(manifest: &str) -> Vec<String> {
    manifest
        .lines()
        .filter_map(|line| {
            let (key, value) = line.split_once(':')?;
            let key = key.to_ascii_lowercase();
            ["password", "salt", "secret", "token"]
                .iter()
                .any(|word| key.contains(word))
                .then(|| value.trim().trim_matches([',', '"', '\'', ' ']).to_string())
        })
        .filter(|value| value.len() >= 6)
        .collect()
}

async fn assert_no_secret_in_any_output(platform: Platform, manifest_name: &str) {
    let (addr, seen) = start_echo().await;
    let (manifest, mut secrets) = manifest_for(platform, addr).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(manifest_name), &manifest).unwrap();
    let ledger = dir.path().join("ledger.sqlite3");
    let mut outputs = Vec::new();
    for format in ["human", "json", "junit"] {
        let run = addon_conform_async(
            dir.path(),
            &[
                "test",
                "--format",
                format,
                "--seed",
                "5",
                "--timeout",
                "5",
                "--ledger",
                ledger.to_str().unwrap(),
                "--color",
                "never",
            ],
        )
        .await;
        assert_eq!(run.code, 1, "the echoing provider fails checks: {run:#?}");
        outputs.push((format, run.all_output()));
    }
    let list = addon_conform_async(
        dir.path(),
        &["ledger", "list", "--ledger", ledger.to_str().unwrap()],
    )
    .await;
    outputs.push(("ledger list", list.all_output()));
    // A credential probe that owes nothing to the real secret (a wrong or an empty password)
    // is shown as sent; one derived from it (truncated, case-changed, extended) is as secret
    // as the secret. Token fields are kept whatever they hold.
    let real = secrets.clone();
    let derived = |credential: &str| {
        let credential = credential.to_lowercase();
        real.iter().any(|secret| {
            let secret = secret.to_lowercase();
            credential.contains(&secret)
                || (credential.len() >= 3 && secret.starts_with(&credential))
        })
    };
    for (credential, forms) in seen.lock().unwrap().iter() {
        if credential.as_deref().is_none_or(derived) {
            secrets.extend(forms.iter().cloned());
        }
    }
    secrets.sort();
    secrets.dedup();
    assert!(
        secrets.len() > 3,
        "the provider saw the credentials and tokens: {secrets:?}"
    );
    let human = &outputs[0].1;
    assert!(
        human.contains("invalid credentials"),
        "the echo is quoted: {human}"
    );
    for (format, output) in &outputs {
        for secret in &secrets {
            assert!(
                !output.contains(secret.as_str()),
                "{platform}: `{secret}` in the {format} output:\n{output}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_echoing_heroku_provider_cannot_make_a_secret_appear() {
    assert_no_secret_in_any_output(heroku_adapter::PLATFORM, "addon-manifest.json").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_echoing_bitrise_provider_cannot_make_a_secret_appear() {
    assert_no_secret_in_any_output(bitrise_adapter::PLATFORM, "config.yaml").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_password_in_the_base_url_is_redacted() {
    let (addr, _) = start_echo().await;
    let (manifest, _) = manifest_for(heroku_adapter::PLATFORM, addr).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("addon-manifest.json"), &manifest).unwrap();
    let base_url = format!("http://operator:url-pass-0451@{addr}/heroku/resources");
    for format in ["human", "json"] {
        let run = addon_conform_async(
            dir.path(),
            &[
                "test",
                "--base-url",
                &base_url,
                "--format",
                format,
                "--only",
                "provision.*",
                "--seed",
                "2",
                "--timeout",
                "5",
            ],
        )
        .await;
        assert_eq!(run.code, 1, "{run:#?}");
        assert!(
            !run.all_output().contains("url-pass-0451"),
            "the URL's password in the {format} output: {}",
            run.all_output()
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_gets_the_same_cleanup_as_ctrl_c() {
    let addon = ReferenceAddon::new(heroku_adapter::PLATFORM)
        .fault(reference_addon::Fault::ProvisionSlow)
        .slow_delay(std::time::Duration::from_secs(2))
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("addon-manifest.json"),
        addon.manifest_json(),
    )
    .unwrap();
    let ledger = dir.path().join("ledger.sqlite3");
    let mut child = crate::harness::spawn_addon_conform(
        dir.path(),
        &["test", "--ledger", ledger.to_str().unwrap()],
    );
    tokio::time::timeout(std::time::Duration::from_secs(60), async {
        while addon.live_resources().is_empty() {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the run provisions a resource");
    let terminated = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(terminated.success());
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert!(
        status.code().is_some(),
        "the run ends by itself after SIGTERM, not by the signal: {status}"
    );
    assert_eq!(
        addon.live_resources(),
        Vec::<String>::new(),
        "it cleaned up"
    );
    let list = addon_conform_async(
        dir.path(),
        &["ledger", "list", "--ledger", ledger.to_str().unwrap()],
    )
    .await;
    assert!(list.stdout.starts_with("nothing outstanding"), "{list:#?}");
    addon.shutdown().await;
}

#[tokio::test]
async fn init_force_replaces_a_planted_link_and_never_keeps_a_loose_mode() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "not yours").unwrap();
    let manifest = dir.path().join("addon-manifest.json");
    std::os::unix::fs::symlink(&victim, &manifest).unwrap();
    addon_conform_async(dir.path(), &["init", "--platform", "heroku", "--force"])
        .await
        .expect_code(0);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "not yours");
    let mode =
        |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&manifest), 0o600);
    std::fs::set_permissions(&manifest, std::fs::Permissions::from_mode(0o644)).unwrap();
    addon_conform_async(dir.path(), &["init", "--platform", "heroku", "--force"])
        .await
        .expect_code(0);
    assert_eq!(mode(&manifest), 0o600);
}

/// Answers provisions with terminal controls in every field, and everything else with a body
/// that tries to erase the line and print a fake verdict.
async fn start_control_bytes_provider() -> std::net::SocketAddr {
    let app = axum::Router::new().fallback(|method: Method, uri: Uri| async move {
        let hostile = "\u{1b}]0;pwned\u{7}\u{1b}[2K\rPASS  everything\0\u{202e}\u{ffff}";
        if method == Method::POST && uri.path().ends_with("/resources") {
            let answer = serde_json::json!({
                "id": format!("res{hostile}"),
                "config": {"MYADDON_URL": hostile},
                "message": hostile,
            });
            (StatusCode::CREATED, axum::Json(answer)).into_response()
        } else {
            (StatusCode::UNPROCESSABLE_ENTITY, hostile).into_response()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

#[tokio::test(flavor = "multi_thread")]
async fn control_bytes_in_answers_never_reach_the_terminal() {
    let addr = start_control_bytes_provider().await;
    let (manifest, _) = manifest_for(heroku_adapter::PLATFORM, addr).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("addon-manifest.json"), &manifest).unwrap();
    let run = addon_conform_async(
        dir.path(),
        &["test", "--seed", "4", "--timeout", "5", "--color", "never"],
    )
    .await;
    assert_eq!(run.code, 1, "{run:#?}");
    assert!(
        run.stdout.contains("pwned"),
        "the answer is quoted: {}",
        run.stdout
    );
    for control in ['\u{1b}', '\u{7}', '\r', '\0', '\u{202e}'] {
        assert!(
            !run.all_output().contains(control),
            "{control:?} reached the terminal:\n{}",
            run.all_output()
        );
    }
}

/// Whether XML 1.0 allows `c` in a document (its `Char` production).
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

#[tokio::test(flavor = "multi_thread")]
async fn control_bytes_in_answers_make_a_junit_file_xml_accepts() {
    let addr = start_control_bytes_provider().await;
    let (manifest, _) = manifest_for(heroku_adapter::PLATFORM, addr).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("addon-manifest.json"), &manifest).unwrap();
    let junit = dir.path().join("junit.xml");
    let run = addon_conform_async(
        dir.path(),
        &[
            "test",
            "--seed",
            "4",
            "--timeout",
            "5",
            "--format",
            "junit",
            "--output",
            junit.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(run.code, 1, "{run:#?}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    let forbidden: Vec<char> = xml.chars().filter(|c| !is_xml_char(*c)).collect();
    assert!(
        forbidden.is_empty(),
        "characters XML forbids: {forbidden:?}"
    );
    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut failures = 0;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(quick_xml::events::Event::Start(element))
                if element.name().as_ref() == b"failure" =>
            {
                failures += 1;
            }
            Ok(_) => {}
            Err(error) => panic!("the JUnit file is not XML: {error}\n{xml}"),
        }
    }
    assert!(failures > 0, "{xml}");
    assert!(
        xml.contains("\\u{1b}]0;pwned\\u{7}") && xml.contains("\\u{ffff}"),
        "what the provider sent is shown, not dropped: {xml}"
    );
}

/// Answers provisions at once, then never answers anything else.
async fn start_hanging_provider() -> std::net::SocketAddr {
    let app = axum::Router::new().fallback(|method: Method, uri: Uri| async move {
        if method == Method::POST && uri.path().ends_with("/resources") {
            let answer = serde_json::json!({"id": "res-hang", "config": {"MYADDON_URL": "x"}});
            (StatusCode::CREATED, axum::Json(answer)).into_response()
        } else {
            std::future::pending::<Response>().await
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

#[tokio::test(flavor = "multi_thread")]
async fn a_provider_that_hangs_after_provisioning_cannot_hold_the_run() {
    let addr = start_hanging_provider().await;
    let (manifest, _) = manifest_for(heroku_adapter::PLATFORM, addr).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("addon-manifest.json"), &manifest).unwrap();
    let ledger = dir.path().join("ledger.sqlite3");
    let run = addon_conform_async(
        dir.path(),
        &[
            "test",
            "--seed",
            "4",
            "--timeout",
            "2",
            "--max-duration",
            "3",
            "--ledger",
            ledger.to_str().unwrap(),
            "--color",
            "never",
        ],
    )
    .await;
    assert_eq!(run.code, 1, "{run:#?}");
    assert!(
        run.stdout.contains("checks did not finish: "),
        "the report names the unfinished checks: {}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("not finished: the run reached its --max-duration of 3 s"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("resource res-hang is still provisioned"),
        "what could not be cleaned up is named: {}",
        run.stdout
    );
    assert!(run.stdout.contains("ledger cleanup"), "{}", run.stdout);
}

/// Answers provisions with a config of some 80 000 keys, just under the 1 MiB the tester reads.
async fn start_huge_config_provider() -> std::net::SocketAddr {
    let app = axum::Router::new().fallback(|method: Method, uri: Uri| async move {
        if method == Method::POST && uri.path().ends_with("/resources") {
            let mut body = String::from(r#"{"id":"res-huge","config":{"#);
            let mut key = 0u32;
            while body.len() < 1000 * 1000 {
                body.push_str(&format!("\"k{key:x}\":\"\","));
                key += 1;
            }
            body.push_str(r#""MYADDON_URL":"x"}}"#);
            (
                StatusCode::CREATED,
                [("content-type", "application/json")],
                body,
            )
                .into_response()
        } else if method == Method::DELETE {
            StatusCode::NO_CONTENT.into_response()
        } else {
            StatusCode::UNPROCESSABLE_ENTITY.into_response()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

#[tokio::test(flavor = "multi_thread")]
async fn a_huge_answer_makes_a_proportionate_report() {
    let addr = start_huge_config_provider().await;
    let (manifest, _) = manifest_for(heroku_adapter::PLATFORM, addr).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("addon-manifest.json"), &manifest).unwrap();
    for format in ["human", "json"] {
        let run = addon_conform_async(
            dir.path(),
            &[
                "test",
                "--seed",
                "4",
                "--timeout",
                "10",
                "--format",
                format,
                "--only",
                "provision.config.*",
            ],
        )
        .await;
        assert_eq!(run.code, 1, "{}", &run.stderr);
        let size = run.stdout.len();
        assert!(
            size < 2 * 1024 * 1024,
            "a 1 MiB answer made a {size}-byte {format} report"
        );
        assert!(
            run.stdout.contains("more bytes left out"),
            "the report says what it left out: {}",
            &run.stdout[..run.stdout.len().min(20000)]
        );
    }
}
