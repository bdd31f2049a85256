//! The correct Clever Cloud add-on, spoken to as Clever Cloud does: provisions and deprovisions
//! with Basic `id:password`, logins as form posts with millisecond timestamps.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use clevercloud_adapter::{CleverCloud, signature, token};
use manifest_core::dialect::Recognition;
use manifest_core::{Dialect, Source};
use reference_addon::{ReferenceAddon, RunningAddon};
use reqwest::redirect::Policy;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

const USER: &str = "reference-db";

struct Clever {
    addon: RunningAddon,
    origin: String,
    password: String,
    salt: String,
    client: Client,
}

/// A platform uuid no other test of this run uses.
fn uuid() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "01234567-89ab-cdef-0000-{:012x}",
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

fn now_ms() -> i64 {
    let elapsed = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    elapsed.as_millis().try_into().unwrap()
}

impl Clever {
    async fn correct() -> Self {
        let addon = ReferenceAddon::new(clevercloud_adapter::PLATFORM)
            .start()
            .await
            .unwrap();
        let manifest: Value = serde_json::from_str(&addon.manifest_json()).unwrap();
        Self {
            origin: format!("http://{}", addon.addr()),
            password: manifest["api"]["password"].as_str().unwrap().to_owned(),
            salt: manifest["api"]["sso_salt"].as_str().unwrap().to_owned(),
            addon,
            client: Client::builder().redirect(Policy::none()).build().unwrap(),
        }
    }

    async fn provision(&self, password: &str) -> reqwest::Response {
        let body = json!({
            "addon_id": format!("addon_{}", uuid()), "owner_id": "orga_1",
            "owner_name": "My Company", "user_id": "user_1", "plan": "basic",
            "region": "EU", "callback_url": "http://127.0.0.1:9/v2/vendor/apps/addon_1",
            "logplex_token": "logtoken", "options": {},
        });
        self.client
            .post(format!("{}/clevercloud/resources", self.origin))
            .basic_auth(USER, Some(password))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    async fn provisioned_id(&self) -> String {
        let response = self.provision(&self.password).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let answer: Value = response.json().await.unwrap();
        answer["id"].as_str().expect("a string id").to_owned()
    }

    async fn login(&self, fields: &[(&str, String)]) -> StatusCode {
        self.client
            .post(format!("{}/clevercloud/sso/login", self.origin))
            .form(fields)
            .send()
            .await
            .unwrap()
            .status()
    }
}

/// The form Clever Cloud posts for `id` at `timestamp` (milliseconds), with the documented
/// `token` and the later `signature` either valid or left out.
fn login_fields(
    salt: &str,
    id: &str,
    timestamp: i64,
    with_token: bool,
    with_signature: bool,
) -> Vec<(&'static str, String)> {
    let (user_id, email) = ("user_42", "someone@example.com");
    let mut fields = vec![
        ("id", id.to_owned()),
        ("timestamp", timestamp.to_string()),
        ("nav-data", String::new()),
        ("email", email.to_owned()),
        ("user_id", user_id.to_owned()),
    ];
    if with_token {
        fields.push(("token", token(id, salt, timestamp)));
    }
    if with_signature {
        let signed = signature(id, user_id, email, "", salt, timestamp);
        fields.push(("signature", signed));
    }
    fields
}

#[tokio::test]
async fn the_manifest_is_a_clean_clever_cloud_manifest() {
    let clever = Clever::correct().await;
    let text = clever.addon.manifest_json();
    let document: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(CleverCloud.recognizes(&document), Recognition::Own);
    let manifest = CleverCloud
        .load_manifest(Source::new("clevercloud-manifest.json", text))
        .unwrap();
    assert_eq!(CleverCloud.manifest_findings(&manifest), []);
    assert_eq!(
        document["api"]["test"]["base_url"],
        format!("{}/clevercloud/resources", clever.origin)
    );
}

#[tokio::test]
async fn provisions_with_a_string_id_and_deprovisions_with_200() {
    let clever = Clever::correct().await;
    let id = clever.provisioned_id().await;
    let refused = clever.provision("not-the-password").await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let deleted = clever
        .client
        .delete(format!("{}/clevercloud/resources/{id}", clever.origin))
        .basic_auth(USER, Some(&clever.password))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::OK);
    assert!(clever.addon.live_resources().is_empty());
}

#[tokio::test]
async fn a_login_opens_with_either_the_token_or_the_signature() {
    let clever = Clever::correct().await;
    let id = clever.provisioned_id().await;
    let salt = &clever.salt;
    for (with_token, with_signature) in [(true, true), (true, false), (false, true)] {
        let fields = login_fields(salt, &id, now_ms(), with_token, with_signature);
        assert_eq!(
            clever.login(&fields).await,
            StatusCode::FOUND,
            "token {with_token}, signature {with_signature}"
        );
    }
    let unsigned = login_fields(salt, &id, now_ms(), false, false);
    assert_eq!(clever.login(&unsigned).await, StatusCode::FORBIDDEN);
    let forged = login_fields("another salt", &id, now_ms(), true, true);
    assert_eq!(clever.login(&forged).await, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_login_counts_milliseconds_within_15_minutes() {
    let clever = Clever::correct().await;
    let id = clever.provisioned_id().await;
    let minute = 60_000;
    let recent = login_fields(&clever.salt, &id, now_ms() - 14 * minute, true, true);
    assert_eq!(clever.login(&recent).await, StatusCode::FOUND);
    let stale = login_fields(&clever.salt, &id, now_ms() - 16 * minute, true, true);
    assert_eq!(clever.login(&stale).await, StatusCode::FORBIDDEN);
    // A timestamp in seconds lies half a century in the past, counted in milliseconds.
    let seconds = login_fields(&clever.salt, &id, now_ms() / 1000, true, true);
    assert_eq!(clever.login(&seconds).await, StatusCode::FORBIDDEN);
}
