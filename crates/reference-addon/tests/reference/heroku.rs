//! The correct Heroku add-on.

use std::collections::BTreeSet;
use std::time::Duration;

use manifest_core::SsoTransport;
use reference_addon::ReferenceAddon;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use serde_json::{Value, json};

use crate::support::{
    Heroku, USER, assert_status, location, login_fields, message_of, now, only_tokens,
    provision_concurrently, set_cookies, uuid,
};

#[tokio::test]
async fn manifest_points_at_the_server_with_fresh_secrets() {
    let first = Heroku::correct().await;
    let second = Heroku::correct().await;
    assert_ne!(first.password, second.password);
    assert_ne!(first.salt, second.salt);
    assert!(first.password.len() >= 32 && first.salt.len() >= 32);

    let manifest: Value = serde_json::from_str(&first.addon.manifest_json()).unwrap();
    assert_eq!(manifest["id"], "reference-db");
    assert_eq!(
        manifest["api"]["test"],
        json!({
            "base_url": format!("{}/heroku/resources", first.origin),
            "sso_url": format!("{}/heroku/sso", first.origin),
        })
    );
    assert_eq!(manifest["api"]["requires"], json!(["syslog_drain"]));

    let legacy = ReferenceAddon::new(heroku_adapter::PLATFORM)
        .sso_transport(SsoTransport::Get)
        .start()
        .await
        .unwrap();
    let manifest: Value = serde_json::from_str(&legacy.manifest_json()).unwrap();
    assert_eq!(
        manifest["api"]["test"],
        json!(format!("http://{}", legacy.addr()))
    );
    assert_eq!(
        manifest["api"]["production"],
        json!("https://reference-db.example")
    );
}

#[tokio::test]
async fn provision_answers_id_config_and_log_drain() {
    let heroku = Heroku::correct().await;
    let response = heroku.provision_as(heroku.auth(), &uuid(), "test").await;
    assert_status(&response, StatusCode::CREATED);
    let answer: Value = response.json().await.unwrap();
    let id = answer["id"].as_str().unwrap();
    assert!(!id.is_empty());
    let config = answer["config"].as_object().unwrap();
    assert_eq!(
        config.keys().collect::<BTreeSet<_>>(),
        BTreeSet::from([
            &"REFERENCE_DB_TOKEN".to_owned(),
            &"REFERENCE_DB_URL".to_owned()
        ])
    );
    assert_eq!(
        config["REFERENCE_DB_URL"],
        format!("postgres://u:p@db-{id}.test.reference-db.example:5432/db")
    );
    assert!(config["REFERENCE_DB_TOKEN"].as_str().unwrap().len() >= 32);
    assert_eq!(
        answer["log_drain_url"],
        format!("syslog+tls://logs.reference-db.example:6514/{id}")
    );
    assert!(answer["message"].is_string());
    assert_eq!(heroku.addon.live_resources(), [id]);
}

#[tokio::test]
async fn replay_returns_the_same_resource_and_config() {
    let heroku = Heroku::correct().await;
    let first = heroku.provision().await;
    let replay = heroku
        .provision_as(heroku.auth(), &first.uuid, "test")
        .await;
    assert_status(&replay, StatusCode::OK);
    let replay: Value = replay.json().await.unwrap();
    assert_eq!(replay["id"], first.answer["id"]);
    assert_eq!(replay["config"], first.answer["config"]);
    assert_eq!(heroku.addon.live_resources(), [first.id]);
}

#[tokio::test]
async fn distinct_uuids_get_distinct_resources() {
    let heroku = Heroku::correct().await;
    let first = heroku.provision().await;
    let second = heroku.provision().await;
    assert_ne!(first.id, second.id);
    assert_ne!(first.answer["config"], second.answer["config"]);
    assert_eq!(heroku.addon.live_resources().len(), 2);
}

#[tokio::test]
async fn concurrent_identical_provisions_make_one_resource() {
    let heroku = std::sync::Arc::new(Heroku::correct().await);
    let ids = provision_concurrently(&heroku, &uuid()).await;
    assert_eq!(ids.len(), 1);
    assert_eq!(heroku.addon.live_resources().len(), 1);
}

#[tokio::test]
async fn unknown_plans_and_malformed_bodies_are_refused_with_a_message() {
    let heroku = Heroku::correct().await;
    let response = heroku.provision_as(heroku.auth(), &uuid(), "gold").await;
    assert_status(&response, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(message_of(response).await.contains("unknown plan `gold`"));

    for body in [
        "not json",
        "[1, 2]",
        r#"{"plan": "test"}"#,
        r#"{"uuid": 7, "plan": "test"}"#,
        r#"{"uuid": " ", "plan": "test"}"#,
    ] {
        let response = heroku
            .client
            .post(heroku.resources_url())
            .basic_auth(USER, Some(&heroku.password))
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_status(&response, StatusCode::BAD_REQUEST);
        assert!(!message_of(response).await.is_empty(), "{body}");
    }

    let huge = format!(
        r#"{{"uuid": "{}", "plan": "test"}}"#,
        "u".repeat(100 * 1024)
    );
    let response = heroku
        .client
        .post(heroku.resources_url())
        .basic_auth(USER, Some(&heroku.password))
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_status(&response, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(heroku.addon.live_resources().is_empty());
}

#[tokio::test]
async fn plan_change_answers_config_for_live_resources_only() {
    let heroku = Heroku::correct().await;
    let resource = heroku.provision().await;

    let response = heroku.change_plan(&resource.id, "premium").await;
    assert_status(&response, StatusCode::OK);
    let answer: Value = response.json().await.unwrap();
    // The database moves to the new plan's cluster: a new URL, the same token.
    let url = &answer["config"]["REFERENCE_DB_URL"];
    assert_eq!(
        url,
        &format!(
            "postgres://u:p@db-{}.premium.reference-db.example:5432/db",
            resource.id
        )
    );
    assert_eq!(
        answer["config"]["REFERENCE_DB_TOKEN"],
        resource.answer["config"]["REFERENCE_DB_TOKEN"]
    );
    // A replay of the original provision answers with the config as it stands now.
    let replay = heroku.provision_uuid(&resource.uuid).await;
    assert_eq!(replay.id, resource.id);
    assert_eq!(replay.answer["config"], answer["config"]);
    assert!(answer["message"].as_str().unwrap().contains("premium"));

    let response = heroku.change_plan(&resource.id, "gold").await;
    assert_status(&response, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(message_of(response).await.contains("gold"));

    let response = heroku.change_plan("never-issued", "premium").await;
    assert_status(&response, StatusCode::NOT_FOUND);
    assert!(!message_of(response).await.is_empty());

    let response = heroku
        .client
        .put(format!("{}/{}", heroku.resources_url(), resource.id))
        .basic_auth(USER, Some(&heroku.password))
        .body("{")
        .send()
        .await
        .unwrap();
    assert_status(&response, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn deprovision_deletes_once_and_then_answers_gone() {
    let heroku = Heroku::correct().await;
    let resource = heroku.provision().await;

    let response = heroku.deprovision(&resource.id).await;
    assert_status(&response, StatusCode::NO_CONTENT);
    assert!(heroku.addon.live_resources().is_empty());

    let repeat = heroku.deprovision(&resource.id).await;
    assert_status(&repeat, StatusCode::GONE);
    assert!(!message_of(repeat).await.is_empty());

    assert_status(
        &heroku.change_plan(&resource.id, "premium").await,
        StatusCode::NOT_FOUND,
    );
    assert_status(
        &heroku.deprovision("never-issued").await,
        StatusCode::NOT_FOUND,
    );
}

#[tokio::test]
async fn every_near_miss_credential_is_refused_everywhere() {
    let heroku = Heroku::correct().await;
    let resource = heroku.provision().await;
    let with_suffix = format!("{}x", heroku.password);
    let truncated = &heroku.password[..heroku.password.len() - 1];
    let forgeries = [
        None,
        Some(("reference-db-not-the-user", heroku.password.as_str())),
        Some((USER, "conform-wrong-password")),
        Some((USER, with_suffix.as_str())),
        Some((USER, truncated)),
        Some((USER, "")),
    ];
    for forgery in forgeries {
        let answers = [
            heroku.provision_as(forgery, &uuid(), "test").await,
            heroku
                .change_plan_as(forgery, &resource.id, "premium")
                .await,
            heroku.deprovision_as(forgery, &resource.id).await,
            heroku.deprovision_as(forgery, "never-issued").await,
        ];
        for answer in answers {
            assert_status(&answer, StatusCode::UNAUTHORIZED);
            assert!(answer.headers().contains_key(WWW_AUTHENTICATE));
            assert!(!message_of(answer).await.is_empty());
        }
    }
    let garbage = heroku
        .client
        .post(heroku.resources_url())
        .header("Authorization", "Basic %%%")
        .send()
        .await
        .unwrap();
    assert_status(&garbage, StatusCode::UNAUTHORIZED);
    assert_eq!(heroku.addon.live_resources(), [resource.id]);
}

#[tokio::test]
async fn sso_post_accepts_each_token_kind_alone() {
    let heroku = Heroku::correct().await;
    let resource = heroku.provision().await;
    for kind in ["token", "resource_token", "user_scoped_resource_token"] {
        let response = heroku
            .sso_post(&only_tokens(heroku.login(&resource), &[kind]))
            .await;
        assert_status(&response, StatusCode::FOUND);
        assert_eq!(
            location(&response),
            format!("/heroku/dashboard/{}", resource.id),
            "{kind}"
        );
    }
}

#[tokio::test]
async fn sso_post_opens_the_dashboard_with_cookies() {
    let heroku = Heroku::correct().await;
    let resource = heroku.provision().await;
    let response = heroku.sso_post(&heroku.login(&resource)).await;
    assert_status(&response, StatusCode::FOUND);
    let cookies = set_cookies(response.headers());
    assert!(cookies.iter().any(|c| c.starts_with("reference-session=")));
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("heroku-nav-data=eyJhZGRvbiI6InJlZmVyZW5jZS1kYiJ9;"))
    );

    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let page = browser
        .post(format!("{}/heroku/sso", heroku.origin))
        .form(&heroku.login(&resource))
        .send()
        .await
        .unwrap();
    assert_status(&page, StatusCode::OK);
    assert!(page.url().path().ends_with(&resource.id));
    let html = page.text().await.unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("heroku-header"));

    let stranger = heroku
        .client
        .get(format!(
            "{}/heroku/dashboard/{}",
            heroku.origin, resource.id
        ))
        .send()
        .await
        .unwrap();
    assert_status(&stranger, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn sso_post_refuses_bad_logins() {
    let heroku = Heroku::correct().await;
    let resource = heroku.provision().await;
    let other = heroku.provision().await;
    let gone = heroku.provision().await;
    assert_status(&heroku.deprovision(&gone.id).await, StatusCode::NO_CONTENT);
    let window = 300;

    let mut mismatched = heroku.login(&resource);
    for (name, value) in &mut mismatched {
        if *name == "resource_id" {
            *value = other.uuid.clone();
        }
    }
    let other_tokens: Vec<_> = login_fields(&heroku.salt, &other.id, &other.uuid, now())
        .into_iter()
        .map(|(name, value)| match name {
            "id" => (name, resource.id.clone()),
            "resource_id" => (name, resource.uuid.clone()),
            _ => (name, value),
        })
        .collect();
    let bad_logins = [
        (
            "stale",
            login_fields(
                &heroku.salt,
                &resource.id,
                &resource.uuid,
                now() - window - 30,
            ),
        ),
        (
            "future",
            login_fields(
                &heroku.salt,
                &resource.id,
                &resource.uuid,
                now() + window + 30,
            ),
        ),
        (
            "forged",
            login_fields("not-the-salt", &resource.id, &resource.uuid, now()),
        ),
        ("no tokens", only_tokens(heroku.login(&resource), &[])),
        ("other resource's tokens", other_tokens),
        ("mismatched resource_id", mismatched),
        ("deprovisioned", heroku.login(&gone)),
        ("empty", Vec::new()),
    ];
    for (label, fields) in bad_logins {
        let response = heroku.sso_post(&fields).await;
        assert_status(&response, StatusCode::FORBIDDEN);
        assert!(set_cookies(response.headers()).is_empty(), "{label}");
    }

    let fresh_edge = login_fields(
        &heroku.salt,
        &resource.id,
        &resource.uuid,
        now() - window + 30,
    );
    assert_status(&heroku.sso_post(&fresh_edge).await, StatusCode::FOUND);
}

#[tokio::test]
async fn sso_by_uuid_alone_opens_the_resource() {
    let heroku = Heroku::correct().await;
    let resource = heroku.provision().await;
    let fields: Vec<_> = only_tokens(heroku.login(&resource), &["resource_token"])
        .into_iter()
        .filter(|(name, _)| *name != "id")
        .collect();
    let response = heroku.sso_post(&fields).await;
    assert_status(&response, StatusCode::FOUND);
    assert!(location(&response).ends_with(&resource.id));
}

#[tokio::test]
async fn legacy_get_sso_checks_token_timestamp_and_id() {
    let addon = ReferenceAddon::new(heroku_adapter::PLATFORM).sso_transport(SsoTransport::Get);
    let heroku = Heroku::start(addon).await;
    let resource = heroku.provision().await;
    let other = heroku.provision().await;
    let legacy = |id: &str, salt: &str, timestamp: i64| {
        let timestamp = timestamp.to_string();
        vec![
            ("id", id.to_owned()),
            (
                "token",
                manifest_core::token::sha1_hex(&[id, salt, &timestamp]),
            ),
            ("timestamp", timestamp),
            ("nav-data", "bmF2".to_owned()),
        ]
    };

    let response = heroku
        .sso_get(&resource.id, &legacy(&resource.id, &heroku.salt, now()))
        .await;
    assert_status(&response, StatusCode::FOUND);
    assert_eq!(
        location(&response),
        format!("/heroku/dashboard/{}", resource.id)
    );
    assert!(
        set_cookies(response.headers())
            .iter()
            .any(|c| c.starts_with("heroku-nav-data=bmF2"))
    );

    let refused = [
        legacy(&resource.id, &heroku.salt, now() - 400),
        legacy(&resource.id, &heroku.salt, now() + 400),
        legacy(&resource.id, "not-the-salt", now()),
        legacy(&other.id, &heroku.salt, now()),
    ];
    for fields in refused {
        assert_status(
            &heroku.sso_get(&resource.id, &fields).await,
            StatusCode::FORBIDDEN,
        );
    }
}

#[tokio::test]
async fn sso_never_needs_the_provisioning_password() {
    let heroku = Heroku::correct().await;
    let resource = heroku.provision().await;
    let response = heroku
        .client
        .post(format!("{}/heroku/sso", heroku.origin))
        .basic_auth(USER, Some("wrong"))
        .form(&heroku.login(&resource))
        .send()
        .await
        .unwrap();
    assert_status(&response, StatusCode::FOUND);
}

#[tokio::test]
async fn counts_requests_and_shuts_down_cleanly() {
    let heroku = Heroku::correct().await;
    let before = heroku.addon.requests_seen();
    heroku.provision().await;
    let missing = heroku
        .client
        .get(format!("{}/nowhere", heroku.origin))
        .send()
        .await
        .unwrap();
    assert_status(&missing, StatusCode::NOT_FOUND);
    assert_eq!(heroku.addon.requests_seen(), before + 2);

    // `heroku.client` keeps its keep-alive connection open across the shutdown.
    let origin = heroku.origin.clone();
    tokio::time::timeout(Duration::from_secs(3), heroku.addon.shutdown())
        .await
        .expect("shutdown is prompt even with a keep-alive connection open");
    let refused = reqwest::Client::new()
        .get(format!("{origin}/heroku/sso"))
        .send()
        .await;
    assert!(refused.is_err());
}

#[tokio::test]
async fn run_until_serves_until_told_to_stop() {
    let addon = ReferenceAddon::new(heroku_adapter::PLATFORM)
        .start()
        .await
        .unwrap();
    let addr = addon.addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(addon.run_until(async {
        let _ = stopped.await;
    }));
    let answer = reqwest::get(format!("http://{addr}/heroku/dashboard/x"))
        .await
        .unwrap();
    assert_status(&answer, StatusCode::FORBIDDEN);
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}
