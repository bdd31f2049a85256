//! The correct Scalingo add-on. Its faults are in `scalingo/faults.rs`.

mod faults;
pub(crate) mod platform;

use std::collections::BTreeSet;

use manifest_core::{Dialect, Source};
use reference_addon::{Fault, ReferenceAddon};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use scalingo_adapter::Scalingo as ScalingoDialect;
use serde_json::{Value, json};

use crate::support::{USER, assert_status, location, message_of, now, set_cookies, uuid};
use platform::{Scalingo, login_query};

#[tokio::test]
async fn the_manifest_loads_without_findings_and_points_at_the_server() {
    let first = Scalingo::correct().await;
    let second = Scalingo::correct().await;
    assert_ne!(first.password, second.password);
    assert_ne!(first.salt, second.salt);
    assert!(first.password.len() >= 32 && first.salt.len() >= 32);

    let text = first.addon.manifest_json();
    let manifest = ScalingoDialect
        .load_manifest(Source::new("manifest.json", text.clone()))
        .expect("the manifest loads");
    let findings = ScalingoDialect.manifest_findings(&manifest);
    assert!(findings.is_empty(), "{findings:#?}");
    assert!(matches!(
        dialects::detect(&manifest.document.value),
        dialects::Detection::One(dialect) if dialect.platform() == scalingo_adapter::PLATFORM
    ));

    let manifest: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(manifest["name"], "reference-db");
    assert_eq!(manifest["username"], USER);
    assert_eq!(manifest["log_drain"], true);
    assert_eq!(
        manifest["config_vars"],
        json!(["REFERENCE_DB_URL", "REFERENCE_DB_TOKEN"])
    );
    assert_eq!(
        manifest["test"],
        json!({
            "base_url": format!("{}/scalingo/resources", first.origin),
            "sso_url": format!("{}/scalingo/sso", first.origin),
        })
    );
    assert_eq!(
        manifest["production"],
        json!({
            "base_url": "https://reference-db.example/scalingo/resources",
            "sso_url": "https://reference-db.example/scalingo/sso",
        })
    );
    let plans: Vec<&str> = manifest["plans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|plan| plan["name"].as_str().unwrap())
        .collect();
    assert_eq!(plans, ["free", "pro", "enterprise"]);
}

#[tokio::test]
async fn manifest_snapshot() {
    let scalingo = Scalingo::correct().await;
    let port = format!(":{}/", scalingo.addon.addr().port());
    let manifest = scalingo.addon.manifest_json();
    insta::with_settings!({filters => vec![
        (r#""(password|sso_salt)": "[0-9a-f]+""#, r#""$1": "[SECRET]""#),
        (port.as_str(), ":[PORT]/"),
    ]}, {
        insta::assert_snapshot!(manifest);
    });
}

#[tokio::test]
async fn provision_answers_id_config_and_an_https_log_drain() {
    let scalingo = Scalingo::correct().await;
    let response = scalingo
        .provision_as(scalingo.auth(), &uuid(), "free")
        .await;
    assert_status(&response, StatusCode::CREATED);
    let answer: Value = response.json().await.unwrap();
    let id = answer["id"].as_str().unwrap();
    assert!(!id.is_empty() && id.len() <= 255);
    let config = answer["config"].as_object().unwrap();
    assert_eq!(
        config.keys().map(String::as_str).collect::<BTreeSet<_>>(),
        BTreeSet::from(["REFERENCE_DB_TOKEN", "REFERENCE_DB_URL"])
    );
    assert_eq!(
        config["REFERENCE_DB_URL"],
        format!("postgres://u:p@db-{id}.free.reference-db.example:5432/db")
    );
    assert!(config["REFERENCE_DB_TOKEN"].as_str().unwrap().len() >= 32);
    assert_eq!(
        answer["log_drain_url"],
        format!("https://logs.reference-db.example/drains/{id}")
    );
    assert!(answer["message"].is_string());
    assert_eq!(scalingo.addon.live_resources(), [id]);
}

#[tokio::test]
async fn replay_returns_the_same_resource_and_config() {
    let scalingo = Scalingo::correct().await;
    let first = scalingo.provision().await;
    let replay = scalingo
        .provision_as(scalingo.auth(), &first.uuid, "free")
        .await;
    assert_status(&replay, StatusCode::OK);
    let replay: Value = replay.json().await.unwrap();
    assert_eq!(replay["id"], first.answer["id"]);
    assert_eq!(replay["config"], first.answer["config"]);
    assert_eq!(scalingo.addon.live_resources(), [first.id]);
}

#[tokio::test]
async fn distinct_uuids_get_distinct_resources_even_all_at_once() {
    let scalingo = std::sync::Arc::new(Scalingo::correct().await);
    let first = scalingo.provision().await;
    let second = scalingo.provision().await;
    assert_ne!(first.id, second.id);
    assert_ne!(first.answer["config"], second.answer["config"]);

    let uuid = uuid();
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let scalingo = std::sync::Arc::clone(&scalingo);
        let uuid = uuid.clone();
        requests.spawn(async move { scalingo.provision_uuid(&uuid).await.id });
    }
    let ids: BTreeSet<String> = requests.join_all().await.into_iter().collect();
    assert_eq!(ids.len(), 1);
    assert_eq!(scalingo.addon.live_resources().len(), 3);
}

#[tokio::test]
async fn unknown_plans_and_malformed_bodies_are_refused_with_a_message() {
    let scalingo = Scalingo::correct().await;
    let response = scalingo
        .provision_as(scalingo.auth(), &uuid(), "test")
        .await;
    assert_status(&response, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(message_of(response).await.contains("unknown plan `test`"));

    for body in [
        "not json",
        "[1, 2]",
        r#"{"plan": "free", "app_id": "app"}"#,
        r#"{"plan": "free", "uuid": "u-1"}"#,
        r#"{"plan": "free", "app_id": "app", "uuid": 7}"#,
        r#"{"plan": "free", "app_id": "app", "uuid": " "}"#,
        r#"{"plan": "free", "app_id": "", "uuid": "u-1"}"#,
    ] {
        let response = scalingo
            .client
            .post(scalingo.resources_url())
            .basic_auth(USER, Some(&scalingo.password))
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_status(&response, StatusCode::BAD_REQUEST);
        assert!(!message_of(response).await.is_empty(), "{body}");
    }
    assert!(scalingo.addon.live_resources().is_empty());
}

#[tokio::test]
async fn plan_change_answers_config_for_live_resources_only() {
    let scalingo = Scalingo::correct().await;
    let resource = scalingo.provision().await;

    let response = scalingo
        .client
        .put(format!("{}/{}", scalingo.resources_url(), resource.id))
        .basic_auth(USER, Some(&scalingo.password))
        .json(&json!({"plan": "pro", "options": {"size": "4G"}}))
        .send()
        .await
        .unwrap();
    assert_status(&response, StatusCode::OK);
    let answer: Value = response.json().await.unwrap();
    // The database moves to the new plan's cluster: a new URL, the same token.
    let url = &answer["config"]["REFERENCE_DB_URL"];
    assert_eq!(
        url,
        &format!(
            "postgres://u:p@db-{}.pro.reference-db.example:5432/db",
            resource.id
        )
    );
    assert_eq!(
        answer["config"]["REFERENCE_DB_TOKEN"],
        resource.answer["config"]["REFERENCE_DB_TOKEN"]
    );
    // A replay of the original provision answers with the config as it stands now.
    let replay = scalingo.provision_uuid(&resource.uuid).await;
    assert_eq!(replay.id, resource.id);
    assert_eq!(replay.answer["config"], answer["config"]);
    assert!(answer["message"].as_str().unwrap().contains("pro"));

    let response = scalingo.change_plan(&resource.id, "premium").await;
    assert_status(&response, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(message_of(response).await.contains("premium"));

    let response = scalingo.change_plan("never-issued", "pro").await;
    assert_status(&response, StatusCode::NOT_FOUND);
    assert!(!message_of(response).await.is_empty());

    let response = scalingo
        .client
        .put(format!("{}/{}", scalingo.resources_url(), resource.id))
        .basic_auth(USER, Some(&scalingo.password))
        .body("{")
        .send()
        .await
        .unwrap();
    assert_status(&response, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn deprovision_answers_204_with_no_body_once_and_then_gone() {
    let scalingo = Scalingo::correct().await;
    let resource = scalingo.provision().await;

    let response = scalingo.deprovision(&resource.id).await;
    assert_status(&response, StatusCode::NO_CONTENT);
    assert!(response.bytes().await.unwrap().is_empty());
    assert!(scalingo.addon.live_resources().is_empty());

    let repeat = scalingo.deprovision(&resource.id).await;
    assert_status(&repeat, StatusCode::GONE);
    assert!(!message_of(repeat).await.is_empty());

    let after = scalingo.change_plan(&resource.id, "pro").await;
    assert_status(&after, StatusCode::NOT_FOUND);
    let never = scalingo.deprovision("never-issued").await;
    assert_status(&never, StatusCode::NOT_FOUND);
    assert!(!message_of(never).await.is_empty());
}

#[tokio::test]
async fn credentials_are_checked_first_on_every_provisioning_call() {
    let scalingo = Scalingo::correct().await;
    let resource = scalingo.provision().await;
    let with_suffix = format!("{}x", scalingo.password);
    let truncated = &scalingo.password[..scalingo.password.len() - 1];
    let forgeries = [
        None,
        Some(("reference-db-not-the-user", scalingo.password.as_str())),
        Some((USER, "conform-wrong-password")),
        Some((USER, with_suffix.as_str())),
        Some((USER, truncated)),
        Some((USER, "")),
    ];
    for forgery in forgeries {
        let answers = [
            scalingo.provision_as(forgery, &uuid(), "free").await,
            scalingo
                .provision_as(forgery, &uuid(), "no-such-plan")
                .await,
            scalingo.change_plan_as(forgery, &resource.id, "pro").await,
            scalingo
                .change_plan_as(forgery, "never-issued", "pro")
                .await,
            scalingo.deprovision_as(forgery, &resource.id).await,
            scalingo.deprovision_as(forgery, "never-issued").await,
        ];
        for answer in answers {
            assert_status(&answer, StatusCode::UNAUTHORIZED);
            assert!(answer.headers().contains_key(WWW_AUTHENTICATE));
            assert!(!message_of(answer).await.is_empty());
        }
    }
    let garbage = scalingo
        .client
        .post(scalingo.resources_url())
        .header("Authorization", "Basic %%%")
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_status(&garbage, StatusCode::UNAUTHORIZED);
    assert_eq!(scalingo.addon.live_resources(), [resource.id]);
}

#[tokio::test]
async fn sso_opens_the_dashboard_with_a_session_cookie() {
    let scalingo = Scalingo::correct().await;
    let resource = scalingo.provision().await;
    let response = scalingo.sso(&scalingo.login(&resource)).await;
    assert_status(&response, StatusCode::FOUND);
    assert_eq!(
        location(&response),
        format!("/scalingo/dashboard/{}", resource.id)
    );
    let cookies = set_cookies(response.headers());
    assert!(cookies.iter().any(|c| c.starts_with("reference-session=")));

    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let page = browser
        .get(format!("{}/scalingo/sso", scalingo.origin))
        .query(&scalingo.login(&resource))
        .send()
        .await
        .unwrap();
    assert_status(&page, StatusCode::OK);
    assert!(page.url().path().ends_with(&resource.id));
    let html = page.text().await.unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains(&resource.id));

    let stranger = scalingo
        .client
        .get(format!(
            "{}/scalingo/dashboard/{}",
            scalingo.origin, resource.id
        ))
        .send()
        .await
        .unwrap();
    assert_status(&stranger, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn sso_refuses_bad_logins() {
    let scalingo = Scalingo::correct().await;
    let resource = scalingo.provision().await;
    let other = scalingo.provision().await;
    let gone = scalingo.provision().await;
    assert_status(
        &scalingo.deprovision(&gone.id).await,
        StatusCode::NO_CONTENT,
    );
    let window = 300;
    let salt = scalingo.salt.as_str();

    let mut other_token = login_query(&other.id, salt, now());
    other_token[0].1 = resource.id.clone();
    let mut bad_timestamp = scalingo.login(&resource);
    bad_timestamp[1].1 = "yesterday".to_owned();
    let bad_logins = [
        (
            "stale",
            login_query(&resource.id, salt, now() - window - 30),
        ),
        (
            "future",
            login_query(&resource.id, salt, now() + window + 30),
        ),
        ("forged", login_query(&resource.id, "not-the-salt", now())),
        ("another resource's token", other_token),
        ("deprovisioned", scalingo.login(&gone)),
        ("unreadable timestamp", bad_timestamp),
        ("no token", scalingo.login(&resource)[..2].to_vec()),
        ("empty", Vec::new()),
    ];
    for (label, query) in bad_logins {
        let response = scalingo.sso(&query).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{label}");
        assert!(set_cookies(response.headers()).is_empty(), "{label}");
    }

    let fresh_edge = login_query(&resource.id, salt, now() - window + 30);
    assert_status(&scalingo.sso(&fresh_edge).await, StatusCode::FOUND);
}

#[tokio::test]
async fn sso_tokens_are_the_ones_the_dialect_mints() {
    let scalingo = Scalingo::correct().await;
    let resource = scalingo.provision().await;
    let timestamp = now();
    let query = [
        ("id", resource.id.clone()),
        ("timestamp", timestamp.to_string()),
        (
            "token",
            scalingo_adapter::sso_token(&resource.id, &scalingo.salt, timestamp),
        ),
    ];
    assert_status(&scalingo.sso(&query).await, StatusCode::FOUND);
}

#[tokio::test]
async fn sso_never_needs_the_provisioning_password() {
    let scalingo = Scalingo::correct().await;
    let resource = scalingo.provision().await;
    let response = scalingo
        .client
        .get(format!("{}/scalingo/sso", scalingo.origin))
        .basic_auth(USER, Some("wrong"))
        .query(&scalingo.login(&resource))
        .send()
        .await
        .unwrap();
    assert_status(&response, StatusCode::FOUND);
}

#[tokio::test]
async fn heroku_routes_are_not_served() {
    let scalingo = Scalingo::correct().await;
    let response = scalingo
        .client
        .post(format!("{}/heroku/resources", scalingo.origin))
        .basic_auth(USER, Some(&scalingo.password))
        .json(&json!({"uuid": uuid(), "plan": "free"}))
        .send()
        .await
        .unwrap();
    assert_status(&response, StatusCode::NOT_FOUND);
    assert!(scalingo.addon.live_resources().is_empty());
}

#[tokio::test]
async fn faults_of_other_platforms_are_refused() {
    for (platform, fault) in [
        (scalingo_adapter::PLATFORM, Fault::SsoNoNavCookie),
        (scalingo_adapter::PLATFORM, Fault::ConfigWithoutPrefix),
        (heroku_adapter::PLATFORM, Fault::DeprovisionBody),
        (heroku_adapter::PLATFORM, Fault::LongId),
    ] {
        let error = ReferenceAddon::new(platform)
            .fault(fault)
            .start()
            .await
            .unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput, "{fault}");
        assert!(error.to_string().contains(fault.name()));
    }
}
