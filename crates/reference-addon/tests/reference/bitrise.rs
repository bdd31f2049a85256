//! The correct Bitrise add-on. Its faults are in `bitrise/faults.rs`.

mod faults;
mod platform;

use bitrise_adapter::Bitrise as BitriseDialect;
use manifest_core::{Dialect, Source};
use reference_addon::{Fault, ReferenceAddon};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use serde_json::{Value, json};

use crate::support::{assert_status, location, message_of, now, set_cookies};
use platform::{Bitrise, app_slug, login_fields};

#[tokio::test]
async fn the_config_loads_without_findings_and_points_at_the_server() {
    let first = Bitrise::correct().await;
    let second = Bitrise::correct().await;
    assert_ne!(first.token, second.token);
    assert_ne!(first.secret, second.secret);
    assert!(first.token.len() >= 32 && first.secret.len() >= 32);
    assert_eq!(
        first.addon_url,
        format!("http://{}/bitrise", first.addon.addr())
    );
    let manifest = BitriseDialect
        .load_manifest(Source::new("config.yaml", first.addon.manifest_json()))
        .unwrap();
    let findings = BitriseDialect.manifest_findings(&manifest);
    assert!(findings.is_empty(), "{findings:#?}");
    assert!(matches!(
        dialects::detect(&manifest.document.value),
        dialects::Detection::One(dialect) if dialect.platform() == bitrise_adapter::PLATFORM
    ));
}

#[tokio::test]
async fn config_snapshot() {
    let bitrise = Bitrise::correct().await;
    let port = format!(":{}/", bitrise.addon.addr().port());
    let config = bitrise.addon.manifest_json();
    insta::with_settings!({filters => vec![
        (r#"(auth-token|sso-secret): "[0-9a-f]+""#, r#"$1: "[SECRET]""#),
        (port.as_str(), ":[PORT]/"),
    ]}, {
        insta::assert_snapshot!(config);
    });
}

#[tokio::test]
async fn provision_answers_201_with_envs_then_200_with_the_same_envs() {
    let bitrise = Bitrise::correct().await;
    let slug = app_slug();
    let envs = bitrise
        .provision_expecting(&slug, StatusCode::CREATED)
        .await;
    let items = envs.as_array().unwrap();
    let keys: Vec<&str> = items
        .iter()
        .map(|env| env["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["REFERENCE_DB_TOKEN", "REFERENCE_DB_URL"]);
    assert!(
        items
            .iter()
            .all(|env| !env["value"].as_str().unwrap().is_empty())
    );
    for _ in 0..2 {
        let replay = bitrise.provision_expecting(&slug, StatusCode::OK).await;
        assert_eq!(replay, envs);
    }
    assert_eq!(bitrise.addon.live_resources().len(), 1);
    let other = bitrise.provision().await;
    assert_ne!(other, slug);
    assert_eq!(bitrise.addon.live_resources().len(), 2);
}

#[tokio::test]
async fn unknown_plans_and_malformed_bodies_are_refused_with_a_message() {
    let bitrise = Bitrise::correct().await;
    let response = bitrise
        .provision_as(bitrise.auth(), &app_slug(), "test")
        .await;
    assert_status(&response, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(message_of(response).await.contains("unknown plan `test`"));
    for body in [
        "not json",
        "[1]",
        r#"{"plan": "free"}"#,
        r#"{"app_slug": "a1"}"#,
        r#"{"app_slug": " ", "plan": "free"}"#,
    ] {
        let response = bitrise
            .client
            .post(format!("{}/provision", bitrise.addon_url))
            .header("Authentication", &bitrise.token)
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_status(&response, StatusCode::BAD_REQUEST);
        assert!(!message_of(response).await.is_empty(), "{body}");
    }
    assert!(bitrise.addon.live_resources().is_empty());
}

#[tokio::test]
async fn plan_changes_reach_live_apps_only() {
    let bitrise = Bitrise::correct().await;
    let slug = bitrise.provision().await;
    let response = bitrise.change_plan(&slug, "pro").await;
    assert_status(&response, StatusCode::OK);
    assert!(message_of(response).await.contains("pro"));
    // The replay answers with the env vars as they stand now: the new plan's URL.
    let envs = bitrise.provision_expecting(&slug, StatusCode::OK).await;
    assert!(
        envs.to_string().contains(".pro.reference-db.example"),
        "{envs}"
    );
    let response = bitrise.change_plan(&slug, "premium").await;
    assert_status(&response, StatusCode::UNPROCESSABLE_ENTITY);
    let response = bitrise.change_plan("never-provisioned", "pro").await;
    assert_status(&response, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn deprovision_answers_2xx_every_time() {
    let bitrise = Bitrise::correct().await;
    let slug = bitrise.provision().await;
    for _ in 0..3 {
        let response = bitrise.deprovision(&slug).await;
        assert_status(&response, StatusCode::OK);
        assert!(!message_of(response).await.is_empty());
        assert!(bitrise.addon.live_resources().is_empty());
    }
    assert_status(
        &bitrise.change_plan(&slug, "pro").await,
        StatusCode::NOT_FOUND,
    );
    assert_status(
        &bitrise.deprovision("never-provisioned").await,
        StatusCode::OK,
    );
    // Deleted apps can be provisioned anew.
    bitrise
        .provision_expecting(&slug, StatusCode::CREATED)
        .await;
}

#[tokio::test]
async fn the_shared_token_is_checked_first_and_only_in_its_header() {
    let bitrise = Bitrise::correct().await;
    let slug = bitrise.provision().await;
    let suffixed = format!("{}x", bitrise.token);
    let truncated = &bitrise.token[..bitrise.token.len() - 1];
    for token in [
        None,
        Some("conform-wrong-token"),
        Some(suffixed.as_str()),
        Some(truncated),
        Some(""),
    ] {
        for response in [
            bitrise.provision_as(token, &app_slug(), "free").await,
            bitrise
                .provision_as(token, &app_slug(), "no-such-plan")
                .await,
            bitrise.change_plan_as(token, &slug, "pro").await,
            bitrise
                .change_plan_as(token, "never-provisioned", "pro")
                .await,
            bitrise.deprovision_as(token, &slug).await,
            bitrise.deprovision_as(token, "never-provisioned").await,
        ] {
            assert_status(&response, StatusCode::UNAUTHORIZED);
            assert!(response.headers().get(WWW_AUTHENTICATE).is_none());
            assert!(message_of(response).await.contains("Authentication"));
        }
    }
    let in_authorization = bitrise
        .client
        .post(format!("{}/provision", bitrise.addon_url))
        .header("Authorization", &bitrise.token)
        .json(&json!({"app_slug": app_slug(), "plan": "free"}))
        .send()
        .await
        .unwrap();
    assert_status(&in_authorization, StatusCode::UNAUTHORIZED);
    assert_eq!(bitrise.addon.live_resources().len(), 1);
}

#[tokio::test]
async fn both_token_kinds_open_the_dashboard_with_beam() {
    let bitrise = Bitrise::correct().await;
    let slug = bitrise.provision().await;
    for sha256 in [false, true] {
        let login = bitrise
            .sso(&login_fields(&slug, &bitrise.secret, now(), sha256))
            .await;
        assert_status(&login, StatusCode::FOUND);
        assert!(location(&login).starts_with(&format!("/bitrise/dashboard/{slug}?")));
        assert_eq!(set_cookies(login.headers()).len(), 1);
        let page = bitrise.page_after(login).await;
        assert_status(&page, StatusCode::OK);
        assert!(
            page.headers()[CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let html = page.text().await.unwrap();
        assert!(html.starts_with("<!DOCTYPE html>\n"), "{html}");
        assert!(html.contains("<meta charset=\"utf-8\">"), "{html}");
        assert!(
            html.contains("@bitrise/beam") && html.contains("Beam.init("),
            "{html}"
        );
        // What the login URL carried reaches the page, escaped.
        assert!(html.contains("My App &lt;✓&gt;"), "{html}");
        assert!(!html.contains("My App <✓>"), "{html}");
    }
}

#[tokio::test]
async fn bad_logins_are_refused() {
    let bitrise = Bitrise::correct().await;
    let slug = bitrise.provision().await;
    let other = bitrise.provision().await;
    let stale = now() - 400;
    let future = now() + 400;
    for fields in [
        login_fields(&slug, "not-the-secret", now(), false),
        login_fields(&slug, "not-the-secret", now(), true),
        login_fields(&slug, &bitrise.secret, stale, false),
        login_fields(&slug, &bitrise.secret, future, true),
        login_fields("never-provisioned", &bitrise.secret, now(), false),
        {
            let mut crossed = login_fields(&other, &bitrise.secret, now(), false);
            crossed[0].1 = slug.clone();
            crossed
        },
        {
            // A SHA-256 digest without its prefix is no token.
            let mut bare = login_fields(&slug, &bitrise.secret, now(), true);
            bare[2].1 = bare[2].1.trim_start_matches("sha256-").to_owned();
            bare
        },
    ] {
        let response = bitrise.sso(&fields).await;
        assert_status(&response, StatusCode::FORBIDDEN);
        assert!(set_cookies(response.headers()).is_empty());
    }
    let dashboard = bitrise
        .client
        .get(format!("{}/dashboard/{slug}", bitrise.addon_url))
        .send()
        .await
        .unwrap();
    assert_status(&dashboard, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_login_needs_no_shared_token_and_ends_when_the_app_goes() {
    let bitrise = Bitrise::correct().await;
    let slug = bitrise.provision().await;
    let login = bitrise.sso(&bitrise.login(&slug)).await;
    let next = location(&login).to_owned();
    let cookie = set_cookies(login.headers())[0]
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    bitrise.deprovision(&slug).await;
    let origin = format!("http://{}", bitrise.addon.addr());
    let page = bitrise
        .client
        .get(format!("{origin}{next}"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_status(&page, StatusCode::FORBIDDEN);
    let answer: Value = bitrise
        .provision_as(None, &slug, "free")
        .await
        .json()
        .await
        .unwrap();
    assert!(answer["message"].is_string());
}

#[tokio::test]
async fn refuses_faults_bitrise_does_not_have() {
    for fault in [Fault::SsoNoNavCookie, Fault::LongId, Fault::NoLogDrainUrl] {
        let error = ReferenceAddon::new(bitrise_adapter::PLATFORM)
            .fault(fault)
            .start()
            .await
            .unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput, "{fault}");
    }
}
