//! One test per Scalingo fault: the add-on goes wrong in the advertised way, and only there.

use std::sync::Arc;
use std::time::Instant;

use reference_addon::Fault;
use reqwest::StatusCode;
use serde_json::Value;

use super::platform::{SLOW, Scalingo, login_query};
use crate::support::{
    USER, assert_manifest_breaks, assert_status, location, message_of, now, send_malformed,
    set_cookies, uuid,
};

#[test]
fn every_scalingo_fault_has_a_test_here() {
    let source = include_str!("faults.rs");
    let scalingo_faults = Fault::ALL
        .into_iter()
        .filter(|fault| fault.applies_to(&scalingo_adapter::Scalingo));
    for fault in scalingo_faults {
        let mention = format!("Fault::{fault:?})");
        assert!(source.contains(&mention), "no test switches on {fault}");
    }
}

async fn id_of(response: reqwest::Response) -> String {
    response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn accepts_wrong_password() {
    let scalingo = Scalingo::with(Fault::AcceptsWrongPassword).await;
    let wrong = Some((USER, "anything"));
    let response = scalingo.provision_as(wrong, &uuid(), "free").await;
    assert_status(&response, StatusCode::CREATED);
    let id = id_of(response).await;
    let wrong_user = Some(("someone", scalingo.password.as_str()));
    assert_status(
        &scalingo.provision_as(wrong_user, &uuid(), "free").await,
        StatusCode::UNAUTHORIZED,
    );
    assert_status(
        &scalingo.change_plan_as(wrong, &id, "pro").await,
        StatusCode::UNAUTHORIZED,
    );
    assert_status(
        &scalingo.deprovision_as(wrong, &id).await,
        StatusCode::UNAUTHORIZED,
    );
}

#[tokio::test]
async fn accepts_password_prefix() {
    let scalingo = Scalingo::with(Fault::AcceptsPasswordPrefix).await;
    let suffixed = format!("{}x", scalingo.password);
    let auth = Some((USER, suffixed.as_str()));
    let response = scalingo.provision_as(auth, &uuid(), "free").await;
    assert_status(&response, StatusCode::CREATED);
    let id = id_of(response).await;
    assert_status(
        &scalingo.change_plan_as(auth, &id, "pro").await,
        StatusCode::OK,
    );
    assert_status(
        &scalingo.deprovision_as(auth, &id).await,
        StatusCode::NO_CONTENT,
    );
    let truncated = &scalingo.password[..scalingo.password.len() - 1];
    assert_status(
        &scalingo
            .provision_as(Some((USER, truncated)), &uuid(), "free")
            .await,
        StatusCode::UNAUTHORIZED,
    );
}

#[tokio::test]
async fn plan_change_skips_auth() {
    let scalingo = Scalingo::with(Fault::PlanChangeSkipsAuth).await;
    let resource = scalingo.provision().await;
    assert_status(
        &scalingo.change_plan_as(None, &resource.id, "pro").await,
        StatusCode::OK,
    );
    assert_status(
        &scalingo.provision_as(None, &uuid(), "free").await,
        StatusCode::UNAUTHORIZED,
    );
    assert_status(
        &scalingo.deprovision_as(None, &resource.id).await,
        StatusCode::UNAUTHORIZED,
    );
}

#[tokio::test]
async fn deprovision_skips_auth() {
    let scalingo = Scalingo::with(Fault::DeprovisionSkipsAuth).await;
    let resource = scalingo.provision().await;
    assert_status(
        &scalingo.change_plan_as(None, &resource.id, "pro").await,
        StatusCode::UNAUTHORIZED,
    );
    assert_status(
        &scalingo.deprovision_as(None, &resource.id).await,
        StatusCode::NO_CONTENT,
    );
    assert!(scalingo.addon.live_resources().is_empty());
}

#[tokio::test]
async fn deprovision_looks_up_before_auth() {
    let scalingo = Scalingo::with(Fault::DeprovisionLooksUpBeforeAuth).await;
    let resource = scalingo.provision().await;
    let wrong = Some((USER, "wrong"));
    assert_status(
        &scalingo.deprovision_as(wrong, "never-issued").await,
        StatusCode::NOT_FOUND,
    );
    assert_status(
        &scalingo.deprovision_as(wrong, &resource.id).await,
        StatusCode::UNAUTHORIZED,
    );
    assert_eq!(scalingo.addon.live_resources(), [resource.id]);
}

#[tokio::test]
async fn provision_fails() {
    let scalingo = Scalingo::with(Fault::ProvisionFails).await;
    let response = scalingo
        .provision_as(scalingo.auth(), &uuid(), "free")
        .await;
    assert_status(&response, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(scalingo.addon.live_resources().is_empty());
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
    let scalingo = Scalingo::with(Fault::ProvisionSlow).await;
    assert_slow(
        scalingo.provision_as(scalingo.auth(), &uuid(), "free"),
        StatusCode::CREATED,
    )
    .await;
}

#[tokio::test]
async fn provision_html_body() {
    let scalingo = Scalingo::with(Fault::ProvisionHtmlBody).await;
    let response = scalingo
        .provision_as(scalingo.auth(), &uuid(), "free")
        .await;
    assert_status(&response, StatusCode::OK);
    let body = response.text().await.unwrap();
    assert!(serde_json::from_str::<Value>(&body).is_err());
    assert!(scalingo.addon.live_resources().is_empty());
}

/// The answer of a provision whose id the platform cannot use; nothing may be kept.
async fn unaddressable(fault: Fault) -> Value {
    let scalingo = Scalingo::with(fault).await;
    let response = scalingo
        .provision_as(scalingo.auth(), &uuid(), "free")
        .await;
    assert_status(&response, StatusCode::CREATED);
    let answer: Value = response.json().await.unwrap();
    assert!(answer["config"]["REFERENCE_DB_URL"].is_string());
    assert!(scalingo.addon.live_resources().is_empty());
    answer
}

#[tokio::test]
async fn provision_without_id() {
    let answer = unaddressable(Fault::ProvisionWithoutId).await;
    assert!(answer.get("id").is_none());
}

#[tokio::test]
async fn empty_id() {
    let answer = unaddressable(Fault::EmptyId).await;
    assert_eq!(answer["id"], "");
}

#[tokio::test]
async fn long_id() {
    let scalingo = Scalingo::with(Fault::LongId).await;
    let resource = scalingo.provision().await;
    assert_eq!(resource.id.chars().count(), 300);
    let replay = scalingo.provision_uuid(&resource.uuid).await;
    assert_eq!(replay.id, resource.id);
    assert_status(
        &scalingo.change_plan(&resource.id, "pro").await,
        StatusCode::OK,
    );
    assert_status(
        &scalingo.sso(&scalingo.login(&resource)).await,
        StatusCode::FOUND,
    );
    assert_status(
        &scalingo.deprovision(&resource.id).await,
        StatusCode::NO_CONTENT,
    );
    assert!(scalingo.addon.live_resources().is_empty());
}

async fn provisioned_config(fault: Fault) -> serde_json::Map<String, Value> {
    let scalingo = Scalingo::with(fault).await;
    let resource = scalingo.provision().await;
    resource.answer["config"].as_object().unwrap().clone()
}

#[tokio::test]
async fn undeclared_config_var() {
    let config = provisioned_config(Fault::UndeclaredConfigVar).await;
    assert_eq!(config["REFERENCE_DB_REGION"], "us");
    assert!(config["REFERENCE_DB_TOKEN"].is_string());
}

#[tokio::test]
async fn missing_config_var() {
    let config = provisioned_config(Fault::MissingConfigVar).await;
    assert!(!config.contains_key("REFERENCE_DB_TOKEN"));
    assert!(config["REFERENCE_DB_URL"].is_string());
}

#[tokio::test]
async fn null_config() {
    let scalingo = Scalingo::with(Fault::NullConfig).await;
    let resource = scalingo.provision().await;
    assert!(resource.answer["config"].is_null());
    assert_eq!(scalingo.addon.live_resources().len(), 1);
}

#[tokio::test]
async fn non_string_config_value() {
    let scalingo = Scalingo::with(Fault::NonStringConfigValue).await;
    let resource = scalingo.provision().await;
    assert!(resource.answer["config"]["REFERENCE_DB_TOKEN"].is_u64());
    let replay = scalingo.provision_uuid(&resource.uuid).await;
    assert_eq!(replay.answer["config"], resource.answer["config"]);
}

#[tokio::test]
async fn relative_config_url() {
    let config = provisioned_config(Fault::RelativeConfigUrl).await;
    assert_eq!(config["REFERENCE_DB_URL"], "/db");
}

#[tokio::test]
async fn no_log_drain_url() {
    let scalingo = Scalingo::with(Fault::NoLogDrainUrl).await;
    let resource = scalingo.provision().await;
    assert!(resource.answer.get("log_drain_url").is_none());
    assert!(resource.answer["config"]["REFERENCE_DB_TOKEN"].is_string());
}

#[tokio::test]
async fn new_id_on_replay() {
    let scalingo = Scalingo::with(Fault::NewIdOnReplay).await;
    let first = scalingo.provision().await;
    let replay = scalingo.provision_uuid(&first.uuid).await;
    assert_ne!(first.id, replay.id);
    assert_eq!(scalingo.addon.live_resources().len(), 2);
}

#[tokio::test]
async fn same_id_for_every_resource() {
    let scalingo = Scalingo::with(Fault::SameIdForEveryResource).await;
    let first = scalingo.provision().await;
    // Another resource provisioned in between changes nothing: what counts is only what was
    // provisioned before.
    let _between = scalingo.provision().await;
    let second = scalingo.provision().await;
    assert_eq!(first.id, second.id);
    assert_eq!(scalingo.addon.live_resources(), [first.id]);
}

#[tokio::test]
async fn accepts_unknown_plan() {
    let scalingo = Scalingo::with(Fault::AcceptsUnknownPlan).await;
    let response = scalingo
        .provision_as(scalingo.auth(), &uuid(), "gold")
        .await;
    assert_status(&response, StatusCode::CREATED);
    let resource = scalingo.provision().await;
    assert_status(
        &scalingo.change_plan(&resource.id, "gold").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
}

#[tokio::test]
async fn plan_change_fails() {
    let scalingo = Scalingo::with(Fault::PlanChangeFails).await;
    let resource = scalingo.provision().await;
    assert_status(
        &scalingo.change_plan(&resource.id, "pro").await,
        StatusCode::INTERNAL_SERVER_ERROR,
    );
    assert_status(
        &scalingo.deprovision(&resource.id).await,
        StatusCode::NO_CONTENT,
    );
}

#[tokio::test]
async fn plan_change_slow() {
    let scalingo = Scalingo::with(Fault::PlanChangeSlow).await;
    let resource = scalingo.provision().await;
    assert_slow(scalingo.change_plan(&resource.id, "pro"), StatusCode::OK).await;
}

#[tokio::test]
async fn plan_change_undeclared_config() {
    let scalingo = Scalingo::with(Fault::PlanChangeUndeclaredConfig).await;
    let resource = scalingo.provision().await;
    assert!(resource.answer["config"].get("REFERENCE_DB_PLAN").is_none());
    let answer: Value = scalingo
        .change_plan(&resource.id, "pro")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer["config"]["REFERENCE_DB_PLAN"], "pro");
}

#[tokio::test]
async fn plan_change_accepts_unknown_plan() {
    let scalingo = Scalingo::with(Fault::PlanChangeAcceptsUnknownPlan).await;
    let resource = scalingo.provision().await;
    assert_status(
        &scalingo.change_plan(&resource.id, "gold").await,
        StatusCode::OK,
    );
    assert_status(
        &scalingo
            .provision_as(scalingo.auth(), &uuid(), "gold")
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
}

#[tokio::test]
async fn plan_change_invents_resource() {
    let scalingo = Scalingo::with(Fault::PlanChangeInventsResource).await;
    assert_status(
        &scalingo.change_plan("never-issued", "pro").await,
        StatusCode::OK,
    );
    assert!(scalingo.addon.live_resources().is_empty());
}

#[tokio::test]
async fn deprovision_fails() {
    let scalingo = Scalingo::with(Fault::DeprovisionFails).await;
    let resource = scalingo.provision().await;
    assert_status(
        &scalingo.deprovision(&resource.id).await,
        StatusCode::INTERNAL_SERVER_ERROR,
    );
    assert!(scalingo.addon.live_resources().is_empty());
    assert_status(&scalingo.deprovision(&resource.id).await, StatusCode::GONE);
}

#[tokio::test]
async fn deprovision_body() {
    let scalingo = Scalingo::with(Fault::DeprovisionBody).await;
    let resource = scalingo.provision().await;
    let response = scalingo.deprovision(&resource.id).await;
    assert_status(&response, StatusCode::OK);
    assert!(message_of(response).await.contains(&resource.id));
    assert!(scalingo.addon.live_resources().is_empty());
    let repeat = scalingo.deprovision(&resource.id).await;
    assert_status(&repeat, StatusCode::GONE);
    assert_status(
        &scalingo.deprovision_as(None, "never-issued").await,
        StatusCode::UNAUTHORIZED,
    );
}

#[tokio::test]
async fn deprovision_slow() {
    let scalingo = Scalingo::with(Fault::DeprovisionSlow).await;
    let resource = scalingo.provision().await;
    assert_slow(scalingo.deprovision(&resource.id), StatusCode::NO_CONTENT).await;
}

#[tokio::test]
async fn repeat_deprovision_500() {
    let scalingo = Scalingo::with(Fault::RepeatDeprovision500).await;
    let resource = scalingo.provision().await;
    assert_status(
        &scalingo.deprovision(&resource.id).await,
        StatusCode::NO_CONTENT,
    );
    assert_status(
        &scalingo.deprovision(&resource.id).await,
        StatusCode::INTERNAL_SERVER_ERROR,
    );
    assert_status(
        &scalingo.deprovision("never-issued").await,
        StatusCode::NOT_FOUND,
    );
}

#[tokio::test]
async fn deprovision_keeps_resource() {
    let scalingo = Scalingo::with(Fault::DeprovisionKeepsResource).await;
    let resource = scalingo.provision().await;
    assert_status(
        &scalingo.deprovision(&resource.id).await,
        StatusCode::NO_CONTENT,
    );
    assert_status(
        &scalingo.change_plan(&resource.id, "pro").await,
        StatusCode::OK,
    );
    assert_eq!(scalingo.addon.live_resources(), [resource.id]);
}

#[tokio::test]
async fn forgets_plan_after_replay() {
    let scalingo = Scalingo::with(Fault::ForgetsPlanAfterReplay).await;
    let resource = scalingo.provision().await;
    let changed: Value = scalingo
        .change_plan(&resource.id, "pro")
        .await
        .json()
        .await
        .unwrap();
    assert_ne!(changed["config"], resource.answer["config"]);
    let replay = scalingo.provision_uuid(&resource.uuid).await;
    assert_eq!(replay.id, resource.id);
    assert_eq!(
        replay.answer["config"], resource.answer["config"],
        "the replay put the resource back on its first plan"
    );
    // Without a plan change in between, a replay is as right as ever.
    let other = scalingo.provision().await;
    assert_eq!(
        scalingo.provision_uuid(&other.uuid).await.answer,
        other.answer
    );
}

#[tokio::test]
async fn racy_replay() {
    let scalingo = Arc::new(Scalingo::with(Fault::RacyReplay).await);
    let uuid = uuid();
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let scalingo = Arc::clone(&scalingo);
        let uuid = uuid.clone();
        requests.spawn(async move { scalingo.provision_uuid(&uuid).await.id });
    }
    let ids: std::collections::BTreeSet<String> = requests.join_all().await.into_iter().collect();
    assert!(ids.len() > 1, "{ids:?}");

    let first = scalingo.provision().await;
    let replay = scalingo.provision_uuid(&first.uuid).await;
    assert_eq!(first.id, replay.id);
}

#[tokio::test]
async fn sso_accepts_any_token() {
    let scalingo = Scalingo::with(Fault::SsoAcceptsAnyToken).await;
    let resource = scalingo.provision().await;
    let forged = login_query(&resource.id, "not-the-salt", now());
    assert_status(&scalingo.sso(&forged).await, StatusCode::FOUND);
    let stale = login_query(&resource.id, &scalingo.salt, now() - 600);
    assert_status(&scalingo.sso(&stale).await, StatusCode::FORBIDDEN);
    let unknown = login_query("never-issued", "not-the-salt", now());
    assert_status(&scalingo.sso(&unknown).await, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn sso_ignores_timestamp() {
    let scalingo = Scalingo::with(Fault::SsoIgnoresTimestamp).await;
    let resource = scalingo.provision().await;
    let stale = login_query(&resource.id, &scalingo.salt, now() - 3600);
    assert_status(&scalingo.sso(&stale).await, StatusCode::FOUND);
    let forged = login_query(&resource.id, "not-the-salt", now());
    assert_status(&scalingo.sso(&forged).await, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn sso_accepts_future_timestamp() {
    let scalingo = Scalingo::with(Fault::SsoAcceptsFutureTimestamp).await;
    let resource = scalingo.provision().await;
    let future = login_query(&resource.id, &scalingo.salt, now() + 3600);
    assert_status(&scalingo.sso(&future).await, StatusCode::FOUND);
    let stale = login_query(&resource.id, &scalingo.salt, now() - 3600);
    assert_status(&scalingo.sso(&stale).await, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn sso_refuses_valid_logins() {
    let scalingo = Scalingo::with(Fault::SsoRefusesValidLogins).await;
    let resource = scalingo.provision().await;
    let response = scalingo.sso(&scalingo.login(&resource)).await;
    assert_status(&response, StatusCode::FORBIDDEN);
    assert!(set_cookies(response.headers()).is_empty());
}

#[tokio::test]
async fn sso_ignores_resource() {
    let scalingo = Scalingo::with(Fault::SsoIgnoresResource).await;
    let target = scalingo.provision().await;
    let other = scalingo.provision().await;
    let mut borrowed = login_query(&other.id, &scalingo.salt, now());
    borrowed[0].1 = target.id.clone();
    let response = scalingo.sso(&borrowed).await;
    assert_status(&response, StatusCode::FOUND);
    assert!(location(&response).ends_with(&target.id));
    let forged = login_query(&target.id, "not-the-salt", now());
    assert_status(&scalingo.sso(&forged).await, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn sso_accepts_previous_resource() {
    let scalingo = Scalingo::with(Fault::SsoAcceptsPreviousResource).await;
    let first = scalingo.provision().await;
    // Another resource provisioned in between changes nothing: what counts is only what was
    // provisioned before.
    let _between = scalingo.provision().await;
    let second = scalingo.provision().await;
    let crossed = |target: &str, minted_for: &str| {
        let mut query = login_query(minted_for, &scalingo.salt, now());
        query[0].1 = target.to_owned();
        query
    };
    let response = scalingo.sso(&crossed(&second.id, &first.id)).await;
    assert_status(&response, StatusCode::FOUND);
    assert!(location(&response).ends_with(&second.id));
    // Only resources provisioned before are let in, and only with a valid token.
    assert_status(
        &scalingo.sso(&crossed(&first.id, &second.id)).await,
        StatusCode::FORBIDDEN,
    );
    let forged = login_query(&second.id, "not-the-salt", now());
    assert_status(&scalingo.sso(&forged).await, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn sso_needs_provisioning_credentials() {
    let scalingo = Scalingo::with(Fault::SsoNeedsProvisioningCredentials).await;
    let resource = scalingo.provision().await;
    assert_status(
        &scalingo.sso(&scalingo.login(&resource)).await,
        StatusCode::UNAUTHORIZED,
    );
    let with_credentials = scalingo
        .client
        .get(format!("{}/scalingo/sso", scalingo.origin))
        .basic_auth(USER, Some(&scalingo.password))
        .query(&scalingo.login(&resource))
        .send()
        .await
        .unwrap();
    assert_status(&with_credentials, StatusCode::FOUND);
}

#[tokio::test]
async fn scalingo_manifest_faults() {
    use scalingo_adapter::PLATFORM as S;
    assert_manifest_breaks(S, Fault::ManifestSyntaxError).await;
    assert_manifest_breaks(S, Fault::ManifestBlankName).await;
    assert_manifest_breaks(S, Fault::ManifestBlankSsoSalt).await;
    assert_manifest_breaks(S, Fault::ManifestRelativeUrl).await;
    assert_manifest_breaks(S, Fault::ManifestHttpProduction).await;
    assert_manifest_breaks(S, Fault::ManifestBadConfigVar).await;
    assert_manifest_breaks(S, Fault::ManifestNegativePrice).await;
    assert_manifest_breaks(S, Fault::ManifestBlankDescription).await;
    assert_manifest_breaks(S, Fault::ManifestUnknownKey).await;
}

/// Provisions with `forged` credentials, which the fault lets in; a wrong password stays out.
async fn forgery_accepted(scalingo: &Scalingo, forged: (&str, &str)) {
    assert_status(
        &scalingo.provision_as(Some(forged), &uuid(), "free").await,
        StatusCode::CREATED,
    );
    assert_status(
        &scalingo
            .provision_as(Some((USER, "wrong")), &uuid(), "free")
            .await,
        StatusCode::UNAUTHORIZED,
    );
}

#[tokio::test]
async fn accepts_case_insensitive_password() {
    let scalingo = Scalingo::with(Fault::AcceptsCaseInsensitivePassword).await;
    let shouted = scalingo.password.to_uppercase();
    forgery_accepted(&scalingo, (USER, &shouted)).await;
}

#[tokio::test]
async fn accepts_truncated_password() {
    let scalingo = Scalingo::with(Fault::AcceptsTruncatedPassword).await;
    let truncated = &scalingo.password[..scalingo.password.len() / 2];
    forgery_accepted(&scalingo, (USER, truncated)).await;
}

#[tokio::test]
async fn accepts_empty_password() {
    let scalingo = Scalingo::with(Fault::AcceptsEmptyPassword).await;
    forgery_accepted(&scalingo, (USER, "")).await;
}

#[tokio::test]
async fn accepts_empty_user() {
    let scalingo = Scalingo::with(Fault::AcceptsEmptyUser).await;
    forgery_accepted(&scalingo, ("", &scalingo.password)).await;
}

#[tokio::test]
async fn ignores_fields_after_password() {
    let scalingo = Scalingo::with(Fault::IgnoresFieldsAfterPassword).await;
    let extra = format!("{}:extra", scalingo.password);
    forgery_accepted(&scalingo, (USER, &extra)).await;
}

#[tokio::test]
async fn accepts_basic_without_colon() {
    use base64::Engine as _;
    let scalingo = Scalingo::with(Fault::AcceptsBasicWithoutColon).await;
    let without_colon = |password: &str| {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(password)
        )
    };
    let provision = |authorization: String| {
        scalingo
            .client
            .post(scalingo.resources_url())
            .header("Authorization", authorization)
            .json(&serde_json::json!({"plan": "free", "app_id": "app", "uuid": uuid(), "options": {}}))
            .send()
    };
    let wrong = provision(without_colon("wrong")).await.unwrap();
    assert_status(&wrong, StatusCode::UNAUTHORIZED);
    let forged = provision(without_colon(&scalingo.password)).await.unwrap();
    assert_status(&forged, StatusCode::CREATED);
}

#[tokio::test]
async fn parses_body_before_auth() {
    let scalingo = Scalingo::with(Fault::ParsesBodyBeforeAuth).await;
    let resource = scalingo.provision().await;
    let url = scalingo.resources_url();
    let wrong = |request: reqwest::RequestBuilder| request.basic_auth(USER, Some("wrong"));
    for request in [
        scalingo.client.post(&url),
        scalingo.client.put(format!("{url}/{}", resource.id)),
    ] {
        assert_eq!(
            send_malformed(wrong(request)).await,
            StatusCode::BAD_REQUEST
        );
    }
    assert_status(
        &scalingo
            .provision_as(Some((USER, "wrong")), &uuid(), "free")
            .await,
        StatusCode::UNAUTHORIZED,
    );
}
