//! One test per Bitrise fault: the add-on goes wrong in the advertised way, and only there.

use std::time::Instant;

use reference_addon::Fault;
use reqwest::StatusCode;
use serde_json::Value;

use super::platform::{Bitrise, SLOW, app_slug, login_fields};
use crate::support::{assert_status, now, send_malformed};

#[test]
fn every_bitrise_fault_has_a_test_here() {
    let source = include_str!("faults.rs");
    let bitrise_faults = Fault::ALL
        .into_iter()
        .filter(|fault| fault.applies_to(&bitrise_adapter::Bitrise));
    for fault in bitrise_faults {
        let mention = format!("Fault::{fault:?})");
        assert!(source.contains(&mention), "no test switches on {fault}");
    }
}

/// The value of the env var `key` among `envs`.
fn env<'e>(envs: &'e Value, key: &str) -> &'e str {
    envs.as_array()
        .unwrap()
        .iter()
        .find(|env| env["key"] == key)
        .and_then(|env| env["value"].as_str())
        .unwrap()
}

#[tokio::test]
async fn accepts_password_prefix() {
    let bitrise = Bitrise::with(Fault::AcceptsPasswordPrefix).await;
    let suffixed = format!("{}x", bitrise.token);
    let token = Some(suffixed.as_str());
    let slug = app_slug();
    assert_status(
        &bitrise.provision_as(token, &slug, "free").await,
        StatusCode::CREATED,
    );
    assert_status(
        &bitrise.change_plan_as(token, &slug, "pro").await,
        StatusCode::OK,
    );
    assert_status(&bitrise.deprovision_as(token, &slug).await, StatusCode::OK);
    let truncated = &bitrise.token[..bitrise.token.len() - 1];
    assert_status(
        &bitrise
            .provision_as(Some(truncated), &app_slug(), "free")
            .await,
        StatusCode::UNAUTHORIZED,
    );
}

#[tokio::test]
async fn plan_change_skips_auth() {
    let bitrise = Bitrise::with(Fault::PlanChangeSkipsAuth).await;
    let slug = bitrise.provision().await;
    assert_status(
        &bitrise.change_plan_as(None, &slug, "pro").await,
        StatusCode::OK,
    );
    assert_status(
        &bitrise.provision_as(None, &app_slug(), "free").await,
        StatusCode::UNAUTHORIZED,
    );
    assert_status(
        &bitrise.deprovision_as(None, &slug).await,
        StatusCode::UNAUTHORIZED,
    );
}

#[tokio::test]
async fn deprovision_skips_auth() {
    let bitrise = Bitrise::with(Fault::DeprovisionSkipsAuth).await;
    let slug = bitrise.provision().await;
    assert_status(
        &bitrise.change_plan_as(None, &slug, "pro").await,
        StatusCode::UNAUTHORIZED,
    );
    assert_status(&bitrise.deprovision_as(None, &slug).await, StatusCode::OK);
    assert!(bitrise.addon.live_resources().is_empty());
}

#[tokio::test]
async fn deprovision_looks_up_before_auth() {
    let bitrise = Bitrise::with(Fault::DeprovisionLooksUpBeforeAuth).await;
    let slug = bitrise.provision().await;
    let wrong = Some("wrong");
    assert_status(
        &bitrise.deprovision_as(wrong, "never-provisioned").await,
        StatusCode::OK,
    );
    assert_status(
        &bitrise.deprovision_as(wrong, &slug).await,
        StatusCode::UNAUTHORIZED,
    );
    assert_eq!(bitrise.addon.live_resources().len(), 1);
}

#[tokio::test]
async fn provision_fails() {
    let bitrise = Bitrise::with(Fault::ProvisionFails).await;
    let response = bitrise
        .provision_as(bitrise.auth(), &app_slug(), "free")
        .await;
    assert_status(&response, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(bitrise.addon.live_resources().is_empty());
}

async fn assert_slow(answer: impl Future<Output = reqwest::Response>, expected: StatusCode) {
    let started = Instant::now();
    let response = answer.await;
    assert!(
        started.elapsed() >= SLOW,
        "answered in {:?}",
        started.elapsed()
    );
    assert_status(&response, expected);
}

#[tokio::test]
async fn provision_slow() {
    let bitrise = Bitrise::with(Fault::ProvisionSlow).await;
    assert_slow(
        bitrise.provision_as(bitrise.auth(), &app_slug(), "free"),
        StatusCode::CREATED,
    )
    .await;
}

#[tokio::test]
async fn provision_html_body() {
    let bitrise = Bitrise::with(Fault::ProvisionHtmlBody).await;
    let response = bitrise
        .provision_as(bitrise.auth(), &app_slug(), "free")
        .await;
    assert_status(&response, StatusCode::CREATED);
    let body = response.text().await.unwrap();
    assert!(serde_json::from_str::<Value>(&body).is_err());
    assert!(bitrise.addon.live_resources().is_empty());
}

#[tokio::test]
async fn created_on_every_repeat() {
    let bitrise = Bitrise::with(Fault::CreatedOnEveryRepeat).await;
    let slug = bitrise.provision().await;
    let first = bitrise
        .provision_expecting(&slug, StatusCode::CREATED)
        .await;
    let again = bitrise
        .provision_expecting(&slug, StatusCode::CREATED)
        .await;
    assert_eq!(first, again);
    assert_eq!(bitrise.addon.live_resources().len(), 1);
}

#[tokio::test]
async fn new_app_answered_200() {
    let bitrise = Bitrise::with(Fault::NewAppAnswered200).await;
    let slug = app_slug();
    let first = bitrise.provision_expecting(&slug, StatusCode::OK).await;
    let again = bitrise.provision_expecting(&slug, StatusCode::OK).await;
    assert_eq!(first, again);
    assert_eq!(bitrise.addon.live_resources().len(), 1);
}

#[tokio::test]
async fn rotating_envs() {
    let bitrise = Bitrise::with(Fault::RotatingEnvs).await;
    let slug = app_slug();
    let first = bitrise
        .provision_expecting(&slug, StatusCode::CREATED)
        .await;
    let again = bitrise.provision_expecting(&slug, StatusCode::OK).await;
    assert_ne!(
        env(&first, "REFERENCE_DB_TOKEN"),
        env(&again, "REFERENCE_DB_TOKEN")
    );
    assert_eq!(
        env(&first, "REFERENCE_DB_URL"),
        env(&again, "REFERENCE_DB_URL")
    );
    assert_eq!(bitrise.addon.live_resources().len(), 1);
}

#[tokio::test]
async fn empty_env_value() {
    let bitrise = Bitrise::with(Fault::EmptyEnvValue).await;
    let envs = bitrise
        .provision_expecting(&app_slug(), StatusCode::CREATED)
        .await;
    assert_eq!(env(&envs, "REFERENCE_DB_TOKEN"), "");
    assert!(!env(&envs, "REFERENCE_DB_URL").is_empty());
}

#[tokio::test]
async fn accepts_unknown_plan() {
    let bitrise = Bitrise::with(Fault::AcceptsUnknownPlan).await;
    let response = bitrise
        .provision_as(bitrise.auth(), &app_slug(), "no-such-plan")
        .await;
    assert_status(&response, StatusCode::CREATED);
}

#[tokio::test]
async fn plan_change_fails() {
    let bitrise = Bitrise::with(Fault::PlanChangeFails).await;
    let slug = bitrise.provision().await;
    assert_status(
        &bitrise.change_plan(&slug, "pro").await,
        StatusCode::INTERNAL_SERVER_ERROR,
    );
}

#[tokio::test]
async fn plan_change_slow() {
    let bitrise = Bitrise::with(Fault::PlanChangeSlow).await;
    let slug = bitrise.provision().await;
    assert_slow(bitrise.change_plan(&slug, "pro"), StatusCode::OK).await;
}

#[tokio::test]
async fn plan_change_accepts_unknown_plan() {
    let bitrise = Bitrise::with(Fault::PlanChangeAcceptsUnknownPlan).await;
    let slug = bitrise.provision().await;
    assert_status(
        &bitrise.change_plan(&slug, "no-such-plan").await,
        StatusCode::OK,
    );
}

#[tokio::test]
async fn plan_change_invents_resource() {
    let bitrise = Bitrise::with(Fault::PlanChangeInventsResource).await;
    assert_status(
        &bitrise.change_plan("never-provisioned", "pro").await,
        StatusCode::OK,
    );
    assert!(bitrise.addon.live_resources().is_empty());
}

#[tokio::test]
async fn deprovision_fails() {
    let bitrise = Bitrise::with(Fault::DeprovisionFails).await;
    let slug = bitrise.provision().await;
    assert_status(
        &bitrise.deprovision(&slug).await,
        StatusCode::INTERNAL_SERVER_ERROR,
    );
    assert!(bitrise.addon.live_resources().is_empty());
}

#[tokio::test]
async fn deprovision_slow() {
    let bitrise = Bitrise::with(Fault::DeprovisionSlow).await;
    let slug = bitrise.provision().await;
    assert_slow(bitrise.deprovision(&slug), StatusCode::OK).await;
}

#[tokio::test]
async fn repeat_deprovision_500() {
    let bitrise = Bitrise::with(Fault::RepeatDeprovision500).await;
    let slug = bitrise.provision().await;
    assert_status(&bitrise.deprovision(&slug).await, StatusCode::OK);
    assert_status(
        &bitrise.deprovision(&slug).await,
        StatusCode::INTERNAL_SERVER_ERROR,
    );
}

#[tokio::test]
async fn repeat_delete_404() {
    let bitrise = Bitrise::with(Fault::RepeatDelete404).await;
    let slug = bitrise.provision().await;
    assert_status(&bitrise.deprovision(&slug).await, StatusCode::OK);
    assert_status(&bitrise.deprovision(&slug).await, StatusCode::NOT_FOUND);
    assert_status(
        &bitrise.deprovision_as(None, &slug).await,
        StatusCode::UNAUTHORIZED,
    );
}

#[tokio::test]
async fn deprovision_keeps_resource() {
    let bitrise = Bitrise::with(Fault::DeprovisionKeepsResource).await;
    let slug = bitrise.provision().await;
    assert_status(&bitrise.deprovision(&slug).await, StatusCode::OK);
    assert_eq!(bitrise.addon.live_resources().len(), 1);
    assert_status(&bitrise.change_plan(&slug, "pro").await, StatusCode::OK);
}

#[tokio::test]
async fn sso_accepts_any_token() {
    let bitrise = Bitrise::with(Fault::SsoAcceptsAnyToken).await;
    let slug = bitrise.provision().await;
    let forged = login_fields(&slug, "not-the-secret", now(), false);
    assert_status(&bitrise.sso(&forged).await, StatusCode::FOUND);
    let stale = login_fields(&slug, "not-the-secret", now() - 400, false);
    assert_status(&bitrise.sso(&stale).await, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn sso_ignores_timestamp() {
    let bitrise = Bitrise::with(Fault::SsoIgnoresTimestamp).await;
    let slug = bitrise.provision().await;
    let stale = login_fields(&slug, &bitrise.secret, now() - 400, true);
    assert_status(&bitrise.sso(&stale).await, StatusCode::FOUND);
}

#[tokio::test]
async fn sso_accepts_future_timestamp() {
    let bitrise = Bitrise::with(Fault::SsoAcceptsFutureTimestamp).await;
    let slug = bitrise.provision().await;
    let future = login_fields(&slug, &bitrise.secret, now() + 400, false);
    assert_status(&bitrise.sso(&future).await, StatusCode::FOUND);
    let stale = login_fields(&slug, &bitrise.secret, now() - 400, false);
    assert_status(&bitrise.sso(&stale).await, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn sso_refuses_valid_logins() {
    let bitrise = Bitrise::with(Fault::SsoRefusesValidLogins).await;
    let slug = bitrise.provision().await;
    assert_status(
        &bitrise.sso(&bitrise.login(&slug)).await,
        StatusCode::FORBIDDEN,
    );
}

#[tokio::test]
async fn sso_ignores_resource() {
    let bitrise = Bitrise::with(Fault::SsoIgnoresResource).await;
    let slug = bitrise.provision().await;
    let other = bitrise.provision().await;
    let mut crossed = login_fields(&other, &bitrise.secret, now(), false);
    crossed[0].1 = slug;
    assert_status(&bitrise.sso(&crossed).await, StatusCode::FOUND);
}

#[tokio::test]
async fn login_needs_auth_token() {
    let bitrise = Bitrise::with(Fault::LoginNeedsAuthToken).await;
    let slug = bitrise.provision().await;
    let login = bitrise.login(&slug);
    assert_status(&bitrise.sso(&login).await, StatusCode::FORBIDDEN);
    let with_token = bitrise.sso_with(&login, bitrise.auth()).await;
    assert_status(&bitrise.page_after(with_token).await, StatusCode::OK);
}

#[tokio::test]
async fn login_without_beam() {
    let bitrise = Bitrise::with(Fault::LoginWithoutBeam).await;
    let slug = bitrise.provision().await;
    let login = bitrise.sso(&bitrise.login(&slug)).await;
    let page = bitrise.page_after(login).await;
    assert_status(&page, StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(
        !html.contains("@bitrise/beam") && !html.contains("Beam.init"),
        "{html}"
    );
}

#[tokio::test]
async fn sha256_token_refused() {
    let bitrise = Bitrise::with(Fault::Sha256TokenRefused).await;
    let slug = bitrise.provision().await;
    let sha256 = login_fields(&slug, &bitrise.secret, now(), true);
    assert_status(&bitrise.sso(&sha256).await, StatusCode::FORBIDDEN);
    let sha1 = login_fields(&slug, &bitrise.secret, now(), false);
    assert_status(&bitrise.sso(&sha1).await, StatusCode::FOUND);
}

/// Provisions with a `forged` token, which the fault lets in; a wrong token stays out.
async fn forgery_accepted(bitrise: &Bitrise, forged: &str) {
    assert_status(
        &bitrise
            .provision_as(Some(forged), &app_slug(), "free")
            .await,
        StatusCode::CREATED,
    );
    assert_status(
        &bitrise
            .provision_as(Some("wrong"), &app_slug(), "free")
            .await,
        StatusCode::UNAUTHORIZED,
    );
}

#[tokio::test]
async fn accepts_case_insensitive_password() {
    let bitrise = Bitrise::with(Fault::AcceptsCaseInsensitivePassword).await;
    let shouted = bitrise.token.to_uppercase();
    forgery_accepted(&bitrise, &shouted).await;
}

#[tokio::test]
async fn accepts_truncated_password() {
    let bitrise = Bitrise::with(Fault::AcceptsTruncatedPassword).await;
    let truncated = &bitrise.token[..bitrise.token.len() / 2];
    forgery_accepted(&bitrise, truncated).await;
}

#[tokio::test]
async fn accepts_empty_password() {
    let bitrise = Bitrise::with(Fault::AcceptsEmptyPassword).await;
    forgery_accepted(&bitrise, "").await;
}

#[tokio::test]
async fn parses_body_before_auth() {
    let bitrise = Bitrise::with(Fault::ParsesBodyBeforeAuth).await;
    let slug = bitrise.provision().await;
    let url = format!("{}/provision", bitrise.addon_url);
    let wrong = |request: reqwest::RequestBuilder| request.header("Authentication", "wrong");
    for request in [
        bitrise.client.post(&url),
        bitrise.client.put(format!("{url}/{slug}")),
    ] {
        assert_eq!(
            send_malformed(wrong(request)).await,
            StatusCode::BAD_REQUEST
        );
    }
    assert_status(
        &bitrise
            .provision_as(Some("wrong"), &app_slug(), "free")
            .await,
        StatusCode::UNAUTHORIZED,
    );
}
