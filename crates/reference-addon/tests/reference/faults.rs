//! One test per Heroku fault: the add-on goes wrong in the advertised way, and only there. The
//! Scalingo add-on's faults are tested in `scalingo/faults.rs`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reference_addon::Fault;
use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use serde_json::Value;

use crate::support::{
    Heroku, Provisioned, USER, assert_manifest_breaks, assert_status, location, login_fields, now,
    only_tokens, provision_concurrently, send_malformed, set_cookies, uuid,
};

/// The slow delay [`Heroku::with`] configures.
const SLOW: Duration = Duration::from_millis(300);

#[test]
fn every_heroku_fault_has_a_test_here() {
    let source = include_str!("faults.rs");
    let heroku_faults = Fault::ALL
        .into_iter()
        .filter(|fault| fault.applies_to(&heroku_adapter::Heroku));
    for fault in heroku_faults {
        let mention = format!("Fault::{fault:?})");
        assert!(source.contains(&mention), "no test switches on {fault}");
    }
}

#[tokio::test]
async fn accepts_wrong_password() {
    let heroku = Heroku::with(Fault::AcceptsWrongPassword).await;
    let response = heroku
        .provision_as(Some((USER, "anything")), &uuid(), "test")
        .await;
    assert_status(&response, StatusCode::CREATED);
    let id = response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let wrong_user = heroku
        .provision_as(Some(("someone", &heroku.password)), &uuid(), "test")
        .await;
    assert_status(&wrong_user, StatusCode::UNAUTHORIZED);
    assert_status(
        &heroku
            .change_plan_as(Some((USER, "anything")), &id, "premium")
            .await,
        StatusCode::UNAUTHORIZED,
    );
}

#[tokio::test]
async fn accepts_password_prefix() {
    let heroku = Heroku::with(Fault::AcceptsPasswordPrefix).await;
    let suffixed = format!("{}x", heroku.password);
    let auth = Some((USER, suffixed.as_str()));
    let response = heroku.provision_as(auth, &uuid(), "test").await;
    assert_status(&response, StatusCode::CREATED);
    let id = response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_status(
        &heroku.change_plan_as(auth, &id, "premium").await,
        StatusCode::OK,
    );
    assert_status(
        &heroku.deprovision_as(auth, &id).await,
        StatusCode::NO_CONTENT,
    );
    let truncated = &heroku.password[..heroku.password.len() - 1];
    assert_status(
        &heroku
            .provision_as(Some((USER, truncated)), &uuid(), "test")
            .await,
        StatusCode::UNAUTHORIZED,
    );
}

#[tokio::test]
async fn plan_change_skips_auth() {
    let heroku = Heroku::with(Fault::PlanChangeSkipsAuth).await;
    let resource = heroku.provision().await;
    assert_status(
        &heroku.change_plan_as(None, &resource.id, "premium").await,
        StatusCode::OK,
    );
    assert_status(
        &heroku.provision_as(None, &uuid(), "test").await,
        StatusCode::UNAUTHORIZED,
    );
    assert_status(
        &heroku.deprovision_as(None, &resource.id).await,
        StatusCode::UNAUTHORIZED,
    );
}

#[tokio::test]
async fn deprovision_skips_auth() {
    let heroku = Heroku::with(Fault::DeprovisionSkipsAuth).await;
    let resource = heroku.provision().await;
    assert_status(
        &heroku.change_plan_as(None, &resource.id, "premium").await,
        StatusCode::UNAUTHORIZED,
    );
    assert_status(
        &heroku.deprovision_as(None, &resource.id).await,
        StatusCode::NO_CONTENT,
    );
    assert!(heroku.addon.live_resources().is_empty());
}

#[tokio::test]
async fn deprovision_looks_up_before_auth() {
    let heroku = Heroku::with(Fault::DeprovisionLooksUpBeforeAuth).await;
    let resource = heroku.provision().await;
    let wrong = Some((USER, "wrong"));
    assert_status(
        &heroku.deprovision_as(wrong, "never-issued").await,
        StatusCode::NOT_FOUND,
    );
    assert_status(
        &heroku.deprovision_as(wrong, &resource.id).await,
        StatusCode::UNAUTHORIZED,
    );
    assert_eq!(heroku.addon.live_resources(), [resource.id]);
}

#[tokio::test]
async fn provision_fails() {
    let heroku = Heroku::with(Fault::ProvisionFails).await;
    let response = heroku.provision_as(heroku.auth(), &uuid(), "test").await;
    assert_status(&response, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(heroku.addon.live_resources().is_empty());
    assert_status(
        &heroku.provision_as(None, &uuid(), "test").await,
        StatusCode::UNAUTHORIZED,
    );
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
    let heroku = Heroku::with(Fault::ProvisionSlow).await;
    assert_slow(
        heroku.provision_as(heroku.auth(), &uuid(), "test"),
        StatusCode::CREATED,
    )
    .await;
}

#[tokio::test]
async fn slow_answers_do_not_hold_up_shutdown() {
    let addon = reference_addon::ReferenceAddon::new(heroku_adapter::PLATFORM)
        .fault(Fault::ProvisionSlow)
        .slow_delay(Duration::from_secs(60))
        .start()
        .await
        .unwrap();
    let manifest: Value = serde_json::from_str(&addon.manifest_json()).unwrap();
    let password = manifest["api"]["password"].as_str().unwrap().to_owned();
    let url = format!("http://{}/heroku/resources", addon.addr());
    let pending = tokio::spawn(async move {
        reqwest::Client::new()
            .post(url)
            .basic_auth(USER, Some(password))
            .json(&serde_json::json!({"uuid": uuid(), "plan": "test"}))
            .send()
            .await
    });
    while addon.requests_seen() == 0 {
        tokio::task::yield_now().await;
    }
    let started = Instant::now();
    addon.shutdown().await;
    assert!(started.elapsed() < Duration::from_secs(3));
    let answered = pending.await.unwrap().unwrap();
    assert_status(&answered, StatusCode::CREATED);
}

#[tokio::test]
async fn provision_html_body() {
    let heroku = Heroku::with(Fault::ProvisionHtmlBody).await;
    let response = heroku.provision_as(heroku.auth(), &uuid(), "test").await;
    assert_status(&response, StatusCode::OK);
    assert!(
        response.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let body = response.text().await.unwrap();
    assert!(serde_json::from_str::<Value>(&body).is_err());
    assert!(heroku.addon.live_resources().is_empty());
}

#[tokio::test]
async fn provision_without_id() {
    let heroku = Heroku::with(Fault::ProvisionWithoutId).await;
    let response = heroku.provision_as(heroku.auth(), &uuid(), "test").await;
    assert!(response.status().is_success());
    let answer: Value = response.json().await.unwrap();
    assert!(answer.get("id").is_none());
    assert!(answer["config"]["REFERENCE_DB_URL"].is_string());
    assert!(heroku.addon.live_resources().is_empty());
}

async fn provisioned_config(fault: Fault) -> (Heroku, serde_json::Map<String, Value>) {
    let heroku = Heroku::with(fault).await;
    let resource = heroku.provision().await;
    let config = resource.answer["config"].as_object().unwrap().clone();
    (heroku, config)
}

#[tokio::test]
async fn undeclared_config_var() {
    let (_heroku, config) = provisioned_config(Fault::UndeclaredConfigVar).await;
    assert_eq!(config["REFERENCE_DB_REGION"], "us");
    assert!(config["REFERENCE_DB_TOKEN"].is_string());
}

#[tokio::test]
async fn missing_config_var() {
    let (_heroku, config) = provisioned_config(Fault::MissingConfigVar).await;
    assert!(!config.contains_key("REFERENCE_DB_TOKEN"));
    assert!(config["REFERENCE_DB_URL"].is_string());
}

#[tokio::test]
async fn null_config() {
    let heroku = Heroku::with(Fault::NullConfig).await;
    let resource = heroku.provision().await;
    assert!(resource.answer["config"].is_null());
    assert_eq!(heroku.addon.live_resources().len(), 1);
}

#[tokio::test]
async fn non_string_config_value() {
    let heroku = Heroku::with(Fault::NonStringConfigValue).await;
    let resource = heroku.provision().await;
    assert!(resource.answer["config"]["REFERENCE_DB_TOKEN"].is_u64());
    let replay = heroku.provision_uuid(&resource.uuid).await;
    assert_eq!(replay.answer["config"], resource.answer["config"]);
}

#[tokio::test]
async fn config_without_prefix() {
    let (_heroku, config) = provisioned_config(Fault::ConfigWithoutPrefix).await;
    assert_eq!(config["DATABASE_URL"], config["REFERENCE_DB_URL"]);
}

#[tokio::test]
async fn relative_config_url() {
    let (_heroku, config) = provisioned_config(Fault::RelativeConfigUrl).await;
    assert_eq!(config["REFERENCE_DB_URL"], "/db");
}

#[tokio::test]
async fn no_log_drain_url() {
    let heroku = Heroku::with(Fault::NoLogDrainUrl).await;
    let resource = heroku.provision().await;
    assert!(resource.answer.get("log_drain_url").is_none());
    assert!(resource.answer["config"]["REFERENCE_DB_TOKEN"].is_string());
}

#[tokio::test]
async fn new_id_on_replay() {
    let heroku = Heroku::with(Fault::NewIdOnReplay).await;
    let first = heroku.provision().await;
    let replay = heroku.provision_uuid(&first.uuid).await;
    assert_ne!(first.id, replay.id);
    assert_eq!(heroku.addon.live_resources().len(), 2);
}

#[tokio::test]
async fn same_id_for_every_resource() {
    let heroku = Heroku::with(Fault::SameIdForEveryResource).await;
    let first = heroku.provision().await;
    // Another resource provisioned in between changes nothing: what counts is only what was
    // provisioned before.
    let _between = heroku.provision().await;
    let second = heroku.provision().await;
    assert_eq!(first.id, second.id);
    assert_eq!(heroku.addon.live_resources(), [first.id]);
}

#[tokio::test]
async fn accepts_unknown_plan() {
    let heroku = Heroku::with(Fault::AcceptsUnknownPlan).await;
    let response = heroku.provision_as(heroku.auth(), &uuid(), "gold").await;
    assert_status(&response, StatusCode::CREATED);
    let resource = heroku.provision().await;
    assert_status(
        &heroku.change_plan(&resource.id, "gold").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
}

#[tokio::test]
async fn plan_change_fails() {
    let heroku = Heroku::with(Fault::PlanChangeFails).await;
    let resource = heroku.provision().await;
    assert_status(
        &heroku.change_plan(&resource.id, "premium").await,
        StatusCode::INTERNAL_SERVER_ERROR,
    );
    assert_status(
        &heroku.deprovision(&resource.id).await,
        StatusCode::NO_CONTENT,
    );
}

#[tokio::test]
async fn plan_change_slow() {
    let heroku = Heroku::with(Fault::PlanChangeSlow).await;
    let resource = heroku.provision().await;
    assert_slow(heroku.change_plan(&resource.id, "premium"), StatusCode::OK).await;
}

#[tokio::test]
async fn plan_change_undeclared_config() {
    let heroku = Heroku::with(Fault::PlanChangeUndeclaredConfig).await;
    let resource = heroku.provision().await;
    assert!(resource.answer["config"].get("REFERENCE_DB_PLAN").is_none());
    let answer: Value = heroku
        .change_plan(&resource.id, "premium")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer["config"]["REFERENCE_DB_PLAN"], "premium");
}

#[tokio::test]
async fn plan_change_accepts_unknown_plan() {
    let heroku = Heroku::with(Fault::PlanChangeAcceptsUnknownPlan).await;
    let resource = heroku.provision().await;
    assert_status(
        &heroku.change_plan(&resource.id, "gold").await,
        StatusCode::OK,
    );
    assert_status(
        &heroku.provision_as(heroku.auth(), &uuid(), "gold").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
}

#[tokio::test]
async fn plan_change_invents_resource() {
    let heroku = Heroku::with(Fault::PlanChangeInventsResource).await;
    assert_status(
        &heroku.change_plan("never-issued", "premium").await,
        StatusCode::OK,
    );
    assert!(heroku.addon.live_resources().is_empty());
}

#[tokio::test]
async fn deprovision_fails() {
    let heroku = Heroku::with(Fault::DeprovisionFails).await;
    let resource = heroku.provision().await;
    assert_status(
        &heroku.deprovision(&resource.id).await,
        StatusCode::INTERNAL_SERVER_ERROR,
    );
    assert!(heroku.addon.live_resources().is_empty());
    assert_status(&heroku.deprovision(&resource.id).await, StatusCode::GONE);
}

#[tokio::test]
async fn deprovision_slow() {
    let heroku = Heroku::with(Fault::DeprovisionSlow).await;
    let resource = heroku.provision().await;
    assert_slow(heroku.deprovision(&resource.id), StatusCode::NO_CONTENT).await;
}

#[tokio::test]
async fn repeat_deprovision_500() {
    let heroku = Heroku::with(Fault::RepeatDeprovision500).await;
    let resource = heroku.provision().await;
    assert_status(
        &heroku.deprovision(&resource.id).await,
        StatusCode::NO_CONTENT,
    );
    assert_status(
        &heroku.deprovision(&resource.id).await,
        StatusCode::INTERNAL_SERVER_ERROR,
    );
    assert_status(
        &heroku.deprovision("never-issued").await,
        StatusCode::NOT_FOUND,
    );
}

#[tokio::test]
async fn deprovision_keeps_resource() {
    let heroku = Heroku::with(Fault::DeprovisionKeepsResource).await;
    let resource = heroku.provision().await;
    assert_status(
        &heroku.deprovision(&resource.id).await,
        StatusCode::NO_CONTENT,
    );
    assert_status(
        &heroku.change_plan(&resource.id, "premium").await,
        StatusCode::OK,
    );
    assert_eq!(heroku.addon.live_resources(), [resource.id]);
}

#[tokio::test]
async fn forgets_plan_after_replay() {
    let heroku = Heroku::with(Fault::ForgetsPlanAfterReplay).await;
    let resource = heroku.provision().await;
    let changed: Value = heroku
        .change_plan(&resource.id, "premium")
        .await
        .json()
        .await
        .unwrap();
    assert_ne!(changed["config"], resource.answer["config"]);
    let replay = heroku.provision_uuid(&resource.uuid).await;
    assert_eq!(replay.id, resource.id);
    assert_eq!(
        replay.answer["config"], resource.answer["config"],
        "the replay put the resource back on its first plan"
    );
    // Without a plan change in between, a replay is as right as ever.
    let other = heroku.provision().await;
    assert_eq!(
        heroku.provision_uuid(&other.uuid).await.answer,
        other.answer
    );
}

#[tokio::test]
async fn racy_replay() {
    let heroku = Arc::new(Heroku::with(Fault::RacyReplay).await);
    let ids = provision_concurrently(&heroku, &uuid()).await;
    assert!(ids.len() > 1, "{ids:?}");

    let first = heroku.provision().await;
    let replay = heroku.provision_uuid(&first.uuid).await;
    assert_eq!(first.id, replay.id);
}

#[tokio::test]
async fn sso_accepts_any_token() {
    let heroku = Heroku::with(Fault::SsoAcceptsAnyToken).await;
    let resource = heroku.provision().await;
    let forged = login_fields("not-the-salt", &resource.id, &resource.uuid, now());
    assert_status(&heroku.sso_post(&forged).await, StatusCode::FOUND);
    let stale = login_fields(&heroku.salt, &resource.id, &resource.uuid, now() - 600);
    assert_status(&heroku.sso_post(&stale).await, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn sso_ignores_timestamp() {
    let heroku = Heroku::with(Fault::SsoIgnoresTimestamp).await;
    let resource = heroku.provision().await;
    let stale = login_fields(&heroku.salt, &resource.id, &resource.uuid, now() - 3600);
    assert_status(&heroku.sso_post(&stale).await, StatusCode::FOUND);
    let forged = login_fields("not-the-salt", &resource.id, &resource.uuid, now());
    assert_status(&heroku.sso_post(&forged).await, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn sso_accepts_future_timestamp() {
    let heroku = Heroku::with(Fault::SsoAcceptsFutureTimestamp).await;
    let resource = heroku.provision().await;
    let future = login_fields(&heroku.salt, &resource.id, &resource.uuid, now() + 3600);
    assert_status(&heroku.sso_post(&future).await, StatusCode::FOUND);
    let stale = login_fields(&heroku.salt, &resource.id, &resource.uuid, now() - 3600);
    assert_status(&heroku.sso_post(&stale).await, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn sso_refuses_valid_logins() {
    let heroku = Heroku::with(Fault::SsoRefusesValidLogins).await;
    let resource = heroku.provision().await;
    assert_status(
        &heroku.sso_post(&heroku.login(&resource)).await,
        StatusCode::FORBIDDEN,
    );
}

#[tokio::test]
async fn sso_ignores_resource() {
    let heroku = Heroku::with(Fault::SsoIgnoresResource).await;
    let target = heroku.provision().await;
    let other = heroku.provision().await;
    let borrowed: Vec<_> = login_fields(&heroku.salt, &other.id, &other.uuid, now())
        .into_iter()
        .map(|(name, value)| match name {
            "id" => (name, target.id.clone()),
            "resource_id" => (name, target.uuid.clone()),
            _ => (name, value),
        })
        .collect();
    let response = heroku.sso_post(&borrowed).await;
    assert_status(&response, StatusCode::FOUND);
    assert!(location(&response).ends_with(&target.id));
    let forged = login_fields("not-the-salt", &target.id, &target.uuid, now());
    assert_status(&heroku.sso_post(&forged).await, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn sso_accepts_previous_resource() {
    let heroku = Heroku::with(Fault::SsoAcceptsPreviousResource).await;
    let first = heroku.provision().await;
    // Another resource provisioned in between changes nothing: what counts is only what was
    // provisioned before.
    let _between = heroku.provision().await;
    let second = heroku.provision().await;
    let crossed = |target: &Provisioned, minted_for: &Provisioned| -> Vec<_> {
        login_fields(&heroku.salt, &minted_for.id, &minted_for.uuid, now())
            .into_iter()
            .map(|(name, value)| match name {
                "id" => (name, target.id.clone()),
                "resource_id" => (name, target.uuid.clone()),
                _ => (name, value),
            })
            .collect()
    };
    let response = heroku.sso_post(&crossed(&second, &first)).await;
    assert_status(&response, StatusCode::FOUND);
    assert!(location(&response).ends_with(&second.id));
    // Only resources provisioned before are let in, and only with valid tokens.
    assert_status(
        &heroku.sso_post(&crossed(&first, &second)).await,
        StatusCode::FORBIDDEN,
    );
    let forged = login_fields("not-the-salt", &second.id, &second.uuid, now());
    assert_status(&heroku.sso_post(&forged).await, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn sso_needs_provisioning_credentials() {
    let heroku = Heroku::with(Fault::SsoNeedsProvisioningCredentials).await;
    let resource = heroku.provision().await;
    assert_status(
        &heroku.sso_post(&heroku.login(&resource)).await,
        StatusCode::FORBIDDEN,
    );
    let with_credentials = heroku
        .client
        .post(format!("{}/heroku/sso", heroku.origin))
        .basic_auth(USER, Some(&heroku.password))
        .form(&heroku.login(&resource))
        .send()
        .await
        .unwrap();
    assert_status(&with_credentials, StatusCode::FOUND);
}

#[tokio::test]
async fn sso_no_nav_cookie() {
    let heroku = Heroku::with(Fault::SsoNoNavCookie).await;
    let resource = heroku.provision().await;
    let response = heroku
        .sso_post(&only_tokens(
            heroku.login(&resource),
            &["user_scoped_resource_token"],
        ))
        .await;
    assert_status(&response, StatusCode::FOUND);
    let cookies = set_cookies(response.headers());
    assert!(cookies.iter().any(|c| c.starts_with("reference-session=")));
    assert!(!cookies.iter().any(|c| c.starts_with("heroku-nav-data=")));
}

#[tokio::test]
async fn sso_no_heroku_header() {
    let heroku = Heroku::with(Fault::SsoNoHerokuHeader).await;
    let resource = heroku.provision().await;
    let login = heroku.sso_post(&heroku.login(&resource)).await;
    assert_status(&login, StatusCode::FOUND);
    let session = set_cookies(login.headers())
        .into_iter()
        .find(|c| c.starts_with("reference-session="))
        .unwrap();
    let page = heroku
        .client
        .get(format!("{}{}", heroku.origin, location(&login)))
        .header("cookie", session.split(';').next().unwrap())
        .send()
        .await
        .unwrap();
    assert_status(&page, StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Reference DB") && !html.contains("heroku-header"),
        "{html}"
    );
}

#[tokio::test]
async fn sso_requires_every_token() {
    let heroku = Heroku::with(Fault::SsoRequiresEveryToken).await;
    let resource = heroku.provision().await;
    for token in ["token", "resource_token", "user_scoped_resource_token"] {
        let alone = only_tokens(heroku.login(&resource), &[token]);
        assert_status(&heroku.sso_post(&alone).await, StatusCode::FORBIDDEN);
    }
    assert_status(
        &heroku.sso_post(&heroku.login(&resource)).await,
        StatusCode::FOUND,
    );
}

#[tokio::test]
async fn async_never_completes() {
    let heroku = Heroku::with(Fault::AsyncNeverCompletes).await;
    let response = heroku.provision_as(heroku.auth(), &uuid(), "test").await;
    assert_status(&response, StatusCode::ACCEPTED);
    let body: Value = response.json().await.unwrap();
    assert!(body["id"].is_string(), "{body}");
}

#[tokio::test]
async fn heroku_manifest_faults() {
    use heroku_adapter::PLATFORM as H;
    assert_manifest_breaks(H, Fault::ManifestSyntaxError).await;
    assert_manifest_breaks(H, Fault::ManifestDeprecatedUsername).await;
    assert_manifest_breaks(H, Fault::ManifestBlankSsoSalt).await;
    assert_manifest_breaks(H, Fault::ManifestRelativeUrl).await;
    assert_manifest_breaks(H, Fault::ManifestHttpProduction).await;
    assert_manifest_breaks(H, Fault::ManifestUnknownRegion).await;
    assert_manifest_breaks(H, Fault::ManifestUnknownRequires).await;
    assert_manifest_breaks(H, Fault::ManifestBadConfigVar).await;
    assert_manifest_breaks(H, Fault::ManifestUnknownKey).await;
}

/// Provisions with `forged` credentials, which the fault lets in; a wrong password stays out.
async fn forgery_accepted(heroku: &Heroku, forged: (&str, &str)) {
    assert_status(
        &heroku.provision_as(Some(forged), &uuid(), "test").await,
        StatusCode::CREATED,
    );
    assert_status(
        &heroku
            .provision_as(Some((USER, "wrong")), &uuid(), "test")
            .await,
        StatusCode::UNAUTHORIZED,
    );
}

#[tokio::test]
async fn accepts_case_insensitive_password() {
    let heroku = Heroku::with(Fault::AcceptsCaseInsensitivePassword).await;
    let shouted = heroku.password.to_uppercase();
    forgery_accepted(&heroku, (USER, &shouted)).await;
}

#[tokio::test]
async fn accepts_truncated_password() {
    let heroku = Heroku::with(Fault::AcceptsTruncatedPassword).await;
    let truncated = &heroku.password[..heroku.password.len() / 2];
    forgery_accepted(&heroku, (USER, truncated)).await;
}

#[tokio::test]
async fn accepts_empty_password() {
    let heroku = Heroku::with(Fault::AcceptsEmptyPassword).await;
    forgery_accepted(&heroku, (USER, "")).await;
}

#[tokio::test]
async fn accepts_empty_user() {
    let heroku = Heroku::with(Fault::AcceptsEmptyUser).await;
    forgery_accepted(&heroku, ("", &heroku.password)).await;
}

#[tokio::test]
async fn ignores_fields_after_password() {
    let heroku = Heroku::with(Fault::IgnoresFieldsAfterPassword).await;
    let extra = format!("{}:extra", heroku.password);
    forgery_accepted(&heroku, (USER, &extra)).await;
}

#[tokio::test]
async fn accepts_basic_without_colon() {
    use base64::Engine as _;
    let heroku = Heroku::with(Fault::AcceptsBasicWithoutColon).await;
    let resource = heroku.provision().await;
    let without_colon = |password: &str| {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(password)
        )
    };
    let url = format!("{}/{}", heroku.resources_url(), resource.id);
    let wrong = heroku
        .client
        .delete(&url)
        .header("Authorization", without_colon("wrong"))
        .send()
        .await
        .unwrap();
    assert_status(&wrong, StatusCode::UNAUTHORIZED);
    let forged = heroku
        .client
        .delete(&url)
        .header("Authorization", without_colon(&heroku.password))
        .send()
        .await
        .unwrap();
    assert!(forged.status().is_success(), "{}", forged.status());
}

#[tokio::test]
async fn parses_body_before_auth() {
    let heroku = Heroku::with(Fault::ParsesBodyBeforeAuth).await;
    let resource = heroku.provision().await;
    let url = heroku.resources_url();
    let wrong = |request: reqwest::RequestBuilder| request.basic_auth(USER, Some("wrong"));
    for request in [
        heroku.client.post(&url),
        heroku.client.put(format!("{url}/{}", resource.id)),
    ] {
        assert_eq!(
            send_malformed(wrong(request)).await,
            StatusCode::BAD_REQUEST
        );
    }
    let wrong = Some((USER, "wrong"));
    assert_status(
        &heroku.provision_as(wrong, &uuid(), "test").await,
        StatusCode::UNAUTHORIZED,
    );
    assert_status(
        &heroku.change_plan_as(wrong, &resource.id, "premium").await,
        StatusCode::UNAUTHORIZED,
    );
}
