//! The correct but unusual designs: each does what its mode says over real loopback HTTP.

use reference_addon::{Mode, ReferenceAddon};
use reqwest::StatusCode;
use serde_json::Value;

use crate::scalingo::platform::{Scalingo, login_query};
use crate::support::{Heroku, assert_status, location, now, set_cookies, uuid};

async fn heroku_in(mode: Mode) -> Heroku {
    Heroku::start(ReferenceAddon::new(heroku_adapter::PLATFORM).mode(mode)).await
}

#[tokio::test]
async fn numeric_ids_are_json_numbers_kept_as_their_string() {
    let heroku = heroku_in(Mode::NumericIds).await;
    let response = heroku.provision_as(heroku.auth(), &uuid(), "test").await;
    let answer: Value = response.json().await.unwrap();
    let id = answer["id"].as_u64().expect("a numeric id");
    assert_eq!(heroku.addon.live_resources(), [id.to_string()]);
}

#[tokio::test]
async fn a_cached_replay_repeats_the_first_answer_after_a_plan_change() {
    let heroku = heroku_in(Mode::CachedReplay).await;
    let uuid = uuid();
    let first = heroku.provision_as(heroku.auth(), &uuid, "test").await;
    assert_status(&first, StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let id = first["id"].as_str().unwrap();
    let changed = heroku.change_plan(id, "premium").await;
    assert_status(&changed, StatusCode::OK);
    let changed: Value = changed.json().await.unwrap();
    assert_ne!(changed["config"], first["config"]);

    let replay = heroku.provision_as(heroku.auth(), &uuid, "test").await;
    assert_status(&replay, StatusCode::CREATED);
    assert_eq!(replay.json::<Value>().await.unwrap(), first);
    assert_eq!(heroku.addon.live_resources(), [id.to_owned()]);
}

#[tokio::test]
async fn a_current_state_replay_hands_out_the_config_the_plan_change_gave() {
    let heroku = heroku_in(Mode::CurrentStateReplay).await;
    let uuid = uuid();
    let first = heroku.provision_uuid(&uuid).await;
    let changed = heroku.change_plan(&first.id, "premium").await;
    let changed: Value = changed.json().await.unwrap();
    for var in ["REFERENCE_DB_URL", "REFERENCE_DB_TOKEN"] {
        assert_ne!(changed["config"][var], first.answer["config"][var], "{var}");
    }

    let replay = heroku.provision_as(heroku.auth(), &uuid, "test").await;
    assert_status(&replay, StatusCode::OK);
    let replay: Value = replay.json().await.unwrap();
    assert_eq!(replay["id"], first.answer["id"]);
    assert_eq!(replay["config"], changed["config"]);
}

#[tokio::test]
async fn a_redirect_refusal_sends_the_browser_to_sign_in_without_a_session() {
    let scalingo = Scalingo::start(
        ReferenceAddon::new(scalingo_adapter::PLATFORM).mode(Mode::RedirectRefusal),
    )
    .await;
    let resource = scalingo.provision().await;
    let forged = scalingo
        .sso(&login_query(&resource.id, "not-the-salt", now()))
        .await;
    assert_status(&forged, StatusCode::FOUND);
    assert!(set_cookies(forged.headers()).is_empty());
    let sign_in = scalingo
        .client
        .get(format!("{}{}", scalingo.origin, location(&forged)))
        .send()
        .await
        .unwrap();
    assert_status(&sign_in, StatusCode::OK);
    assert!(set_cookies(sign_in.headers()).is_empty());

    let valid = scalingo.sso(&scalingo.login(&resource)).await;
    assert_status(&valid, StatusCode::FOUND);
    assert!(!set_cookies(valid.headers()).is_empty());
}

#[tokio::test]
async fn a_mode_does_not_start_on_a_platform_without_it() {
    let error = ReferenceAddon::new(heroku_adapter::PLATFORM)
        .mode(Mode::RedirectRefusal)
        .start()
        .await
        .unwrap_err();
    assert!(error.to_string().contains("redirect-refusal"), "{error}");
}
