//! A small Scalingo platform for the tests: it reads the `manifest.json` the add-on serves and
//! sends the requests Scalingo would, with the right or deliberately wrong credentials and
//! tokens.

use std::time::Duration;

use manifest_core::token::sha1_hex;
use reference_addon::{Fault, ReferenceAddon, RunningAddon};
use reqwest::redirect::Policy;
use reqwest::{Client, Response};
use serde_json::{Value, json};

use crate::support::{Auth, Provisioned, USER, now, uuid};

/// The slow delay [`Scalingo::with`] configures.
pub const SLOW: Duration = Duration::from_millis(300);

pub struct Scalingo {
    pub addon: RunningAddon,
    pub origin: String,
    pub password: String,
    pub salt: String,
    /// Does not follow redirects, so every answer can be looked at as sent.
    pub client: Client,
}

/// The query of a Scalingo login to `id`, its token minted with `salt` at `timestamp`.
pub fn login_query(id: &str, salt: &str, timestamp: i64) -> Vec<(&'static str, String)> {
    let timestamp = timestamp.to_string();
    vec![
        ("id", id.to_owned()),
        ("timestamp", timestamp.clone()),
        ("token", sha1_hex(&[id, salt, &timestamp])),
    ]
}

impl Scalingo {
    pub async fn start(addon: ReferenceAddon) -> Self {
        let addon = addon.start().await.expect("the reference add-on starts");
        let manifest: Value = serde_json::from_str(&addon.manifest_json()).unwrap();
        Self {
            origin: format!("http://{}", addon.addr()),
            password: manifest["password"].as_str().unwrap().to_owned(),
            salt: manifest["sso_salt"].as_str().unwrap().to_owned(),
            client: Client::builder().redirect(Policy::none()).build().unwrap(),
            addon,
        }
    }

    pub async fn correct() -> Self {
        Self::start(ReferenceAddon::new(scalingo_adapter::PLATFORM)).await
    }

    pub async fn with(fault: Fault) -> Self {
        Self::start(
            ReferenceAddon::new(scalingo_adapter::PLATFORM)
                .fault(fault)
                .slow_delay(SLOW),
        )
        .await
    }

    pub fn auth(&self) -> Auth<'_> {
        Some((USER, &self.password))
    }

    pub fn resources_url(&self) -> String {
        format!("{}/scalingo/resources", self.origin)
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
            "plan": plan,
            "app_id": "5f3c1e9a2b7d4c60",
            "uuid": uuid,
            "options": {},
        });
        self.authorized(self.client.post(self.resources_url()), auth)
            .header("Accept", "application/json")
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// Provisions a new resource on the free plan and insists that it worked.
    pub async fn provision(&self) -> Provisioned {
        self.provision_uuid(&uuid()).await
    }

    pub async fn provision_uuid(&self, uuid: &str) -> Provisioned {
        let response = self.provision_as(self.auth(), uuid, "free").await;
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
            .json(&json!({"plan": plan, "options": {}}))
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

    /// A valid login to `resource`, minted now.
    pub fn login(&self, resource: &Provisioned) -> Vec<(&'static str, String)> {
        login_query(&resource.id, &self.salt, now())
    }

    pub async fn sso(&self, query: &[(&str, String)]) -> Response {
        self.client
            .get(format!("{}/scalingo/sso", self.origin))
            .query(query)
            .send()
            .await
            .unwrap()
    }
}
