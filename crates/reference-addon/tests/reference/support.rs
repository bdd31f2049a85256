//! A small Heroku platform for the tests: it reads the manifest the add-on serves and sends
//! the requests Heroku would, with the right or deliberately wrong credentials and tokens.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use manifest_core::token::{sha1_hex, sha256_hex};
use reference_addon::{Fault, ReferenceAddon, RunningAddon};
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use reqwest::redirect::Policy;
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};

pub const USER: &str = "reference-db";

/// Credentials to send: `None` sends no `Authorization` header.
pub type Auth<'a> = Option<(&'a str, &'a str)>;

pub struct Heroku {
    pub addon: RunningAddon,
    pub origin: String,
    pub password: String,
    pub salt: String,
    /// Does not follow redirects, so every answer can be looked at as sent.
    pub client: Client,
}

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .try_into()
        .unwrap()
}

/// A uuid no other test uses.
pub fn uuid() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "01234567-89ab-cdef-{nanos:08x}-{:012x}",
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A provisioned resource as the platform knows it.
#[derive(Debug, Clone)]
pub struct Provisioned {
    pub id: String,
    pub uuid: String,
    pub answer: Value,
}

/// The single sign-on form Heroku posts, with every token valid for (`id`, `uuid`).
pub fn login_fields(
    salt: &str,
    id: &str,
    uuid: &str,
    timestamp: i64,
) -> Vec<(&'static str, String)> {
    let timestamp = timestamp.to_string();
    let (user_id, email) = ("user-42", "someone@example.com");
    vec![
        ("id", id.to_owned()),
        ("token", sha1_hex(&[id, salt, &timestamp])),
        ("timestamp", timestamp.clone()),
        ("nav-data", "eyJhZGRvbiI6InJlZmVyZW5jZS1kYiJ9".to_owned()),
        ("email", email.to_owned()),
        ("user_id", user_id.to_owned()),
        ("app", "my-app".to_owned()),
        ("context_app", "my-app".to_owned()),
        ("resource_id", uuid.to_owned()),
        ("resource_token", sha1_hex(&[uuid, salt, &timestamp])),
        (
            "user_scoped_resource_token",
            sha256_hex(&[uuid, salt, &timestamp, user_id, email]),
        ),
    ]
}

/// `fields` with every token but `keep` (and every token when `keep` is empty) made invalid.
pub fn only_tokens(
    mut fields: Vec<(&'static str, String)>,
    keep: &[&str],
) -> Vec<(&'static str, String)> {
    for (name, value) in &mut fields {
        if name.contains("token") && !keep.contains(name) {
            *value = "0".repeat(value.len());
        }
    }
    fields
}

pub fn set_cookies(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .map(|value| value.to_str().unwrap().to_owned())
        .collect()
}

pub fn location(response: &Response) -> &str {
    response.headers()[LOCATION].to_str().unwrap()
}

impl Heroku {
    pub async fn start(addon: ReferenceAddon) -> Self {
        let addon = addon.start().await.expect("the reference add-on starts");
        let manifest: Value = serde_json::from_str(&addon.manifest_json()).unwrap();
        let api = &manifest["api"];
        Self {
            origin: format!("http://{}", addon.addr()),
            password: api["password"].as_str().unwrap().to_owned(),
            salt: api["sso_salt"].as_str().unwrap().to_owned(),
            client: Client::builder().redirect(Policy::none()).build().unwrap(),
            addon,
        }
    }

    pub async fn correct() -> Self {
        Self::start(ReferenceAddon::new(heroku_adapter::PLATFORM)).await
    }

    pub async fn with(fault: Fault) -> Self {
        Self::start(
            ReferenceAddon::new(heroku_adapter::PLATFORM)
                .fault(fault)
                .slow_delay(std::time::Duration::from_millis(300)),
        )
        .await
    }

    pub fn auth(&self) -> Auth<'_> {
        Some((USER, &self.password))
    }

    pub fn resources_url(&self) -> String {
        format!("{}/heroku/resources", self.origin)
    }

    fn authorized(
        &self,
        request: reqwest::RequestBuilder,
        auth: Auth<'_>,
    ) -> reqwest::RequestBuilder {
        match auth {
            Some((user, password)) => request.basic_auth(user, Some(password)),
            None => request,
        }
    }

    pub async fn provision_as(&self, auth: Auth<'_>, uuid: &str, plan: &str) -> Response {
        let body = json!({
            "uuid": uuid,
            "name": "reference-db-rugged-12345",
            "plan": plan,
            "region": "us",
            "callback_url": format!("https://api.heroku.example/addons/{uuid}"),
            "options": {},
            "oauth_grant": {"code": "grant", "expires_at": "2030-01-01T00:00:00Z", "type": "authorization_code"},
            "log_drain_token": "d.01234567-89ab-cdef-0123-456789abcdef",
            "log_input_url": "https://token:t.secret@1.us.logplex.example/logs",
        });
        self.authorized(self.client.post(self.resources_url()), auth)
            .header("Accept", "application/vnd.heroku-addons+json; version=3")
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// Provisions a new resource and insists that it worked.
    pub async fn provision(&self) -> Provisioned {
        self.provision_uuid(&uuid()).await
    }

    pub async fn provision_uuid(&self, uuid: &str) -> Provisioned {
        let response = self.provision_as(self.auth(), uuid, "test").await;
        assert!(response.status().is_success(), "{}", response.status());
        let answer: Value = response.json().await.unwrap();
        Provisioned {
            id: answer["id"].as_str().unwrap().to_owned(),
            uuid: uuid.to_owned(),
            answer,
        }
    }

    pub async fn change_plan_as(&self, auth: Auth<'_>, id: &str, plan: &str) -> Response {
        let url = format!("{}/{id}", self.resources_url());
        self.authorized(self.client.put(url), auth)
            .json(&json!({"plan": plan, "uuid": "ignored"}))
            .send()
            .await
            .unwrap()
    }

    pub async fn change_plan(&self, id: &str, plan: &str) -> Response {
        self.change_plan_as(self.auth(), id, plan).await
    }

    pub async fn deprovision_as(&self, auth: Auth<'_>, id: &str) -> Response {
        let url = format!("{}/{id}", self.resources_url());
        self.authorized(self.client.delete(url), auth)
            .send()
            .await
            .unwrap()
    }

    pub async fn deprovision(&self, id: &str) -> Response {
        self.deprovision_as(self.auth(), id).await
    }

    /// Valid login fields for a resource, minted now.
    pub fn login(&self, resource: &Provisioned) -> Vec<(&'static str, String)> {
        login_fields(&self.salt, &resource.id, &resource.uuid, now())
    }

    pub async fn sso_post(&self, fields: &[(&str, String)]) -> Response {
        self.client
            .post(format!("{}/heroku/sso", self.origin))
            .form(fields)
            .send()
            .await
            .unwrap()
    }

    pub async fn sso_get(&self, path_id: &str, fields: &[(&str, String)]) -> Response {
        self.client
            .get(format!("{}/{path_id}", self.resources_url()))
            .query(fields)
            .send()
            .await
            .unwrap()
    }
}

pub async fn message_of(response: Response) -> String {
    let body: Value = response.json().await.unwrap();
    body["message"]
        .as_str()
        .expect("a `message` string")
        .to_owned()
}

/// Sends `request` with a body that is not JSON and answers its status.
pub async fn send_malformed(request: reqwest::RequestBuilder) -> StatusCode {
    request
        .header("Content-Type", "application/json")
        .body("{\"plan\": ")
        .send()
        .await
        .unwrap()
        .status()
}

pub fn assert_status(response: &Response, expected: StatusCode) {
    assert_eq!(response.status(), expected, "{}", response.url());
}

/// The ids eight identical provisions sent at once were answered with.
pub async fn provision_concurrently(heroku: &Arc<Heroku>, uuid: &str) -> BTreeSet<String> {
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let heroku = Arc::clone(heroku);
        let uuid = uuid.to_owned();
        requests.spawn(async move { heroku.provision_uuid(&uuid).await.id });
    }
    requests.join_all().await.into_iter().collect()
}

/// Starts the add-on of `platform` with a manifest fault and asserts that the manifest breaks
/// exactly the rules the fault names, and that the add-on still provisions.
pub async fn assert_manifest_breaks(platform: manifest_core::Platform, fault: Fault) {
    use manifest_core::Source;
    let running = ReferenceAddon::new(platform)
        .fault(fault)
        .start()
        .await
        .unwrap();
    let source = Source::new("manifest.json", running.manifest_json());
    let dialect = dialects::find(platform).expect("a registered platform");
    let broken: BTreeSet<&str> = match dialect.load_manifest(source) {
        Err(diagnostics) => diagnostics.items.iter().map(|d| d.check).collect(),
        Ok(manifest) => dialect
            .manifest_findings(&manifest)
            .iter()
            .map(|d| d.check)
            .collect(),
    };
    let expected: BTreeSet<&str> = fault.proves().iter().copied().collect();
    assert_eq!(broken, expected, "{fault} breaks these manifest rules");
    running.shutdown().await;
}
