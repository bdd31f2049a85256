//! A small Bitrise platform for the tests: it reads the `config.yaml` the add-on serves (through
//! the Bitrise dialect) and sends the requests Bitrise would, with the right or deliberately
//! wrong shared token and login tokens.

use std::time::Duration;

use bitrise_adapter::{Bitrise as BitriseDialect, sso_token, sso_token_sha256};
use manifest_core::{Dialect, Source};
use reference_addon::{Fault, ReferenceAddon, RunningAddon};
use reqwest::redirect::Policy;
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};

use crate::support::{assert_status, location, now, uuid};

/// The slow delay [`Bitrise::with`] configures.
pub const SLOW: Duration = Duration::from_millis(300);

/// The shared token to send: `None` sends no `Authentication` header.
pub type Token<'a> = Option<&'a str>;

pub struct Bitrise {
    pub addon: RunningAddon,
    /// The `addon-url`: `http://127.0.0.1:PORT/bitrise`.
    pub addon_url: String,
    pub token: String,
    pub secret: String,
    /// Does not follow redirects, so every answer can be looked at as sent.
    pub client: Client,
}

/// An app slug no other test uses.
pub fn app_slug() -> String {
    format!("app{}", uuid().replace('-', "")[16..].to_owned())
}

/// A login form for `app_slug`, its token minted with `secret` at `timestamp`.
pub fn login_fields(
    app_slug: &str,
    secret: &str,
    timestamp: i64,
    sha256: bool,
) -> Vec<(&'static str, String)> {
    let token = if sha256 {
        sso_token_sha256(app_slug, secret, timestamp)
    } else {
        sso_token(app_slug, secret, timestamp)
    };
    vec![
        ("app_slug", app_slug.to_owned()),
        ("timestamp", timestamp.to_string()),
        ("token", token),
    ]
}

impl Bitrise {
    pub async fn start(addon: ReferenceAddon) -> Self {
        let addon = addon.start().await.expect("the reference add-on starts");
        let manifest = BitriseDialect
            .load_manifest(Source::new("config.yaml", addon.manifest_json()))
            .expect("the config loads");
        Self {
            addon_url: manifest.document.value["addon-url"]
                .as_str()
                .unwrap()
                .to_owned(),
            token: manifest.credentials.secret().expose().to_owned(),
            secret: manifest.sso_salt.unwrap().expose().to_owned(),
            client: Client::builder().redirect(Policy::none()).build().unwrap(),
            addon,
        }
    }

    pub async fn correct() -> Self {
        Self::start(ReferenceAddon::new(bitrise_adapter::PLATFORM)).await
    }

    pub async fn with(fault: Fault) -> Self {
        Self::start(
            ReferenceAddon::new(bitrise_adapter::PLATFORM)
                .fault(fault)
                .slow_delay(SLOW),
        )
        .await
    }

    pub fn auth(&self) -> Token<'_> {
        Some(&self.token)
    }

    fn authorized(
        &self,
        request: reqwest::RequestBuilder,
        token: Token<'_>,
    ) -> reqwest::RequestBuilder {
        match token {
            Some(token) => request.header("Authentication", token),
            None => request,
        }
    }

    pub async fn provision_as(&self, token: Token<'_>, app_slug: &str, plan: &str) -> Response {
        let body = json!({
            "app_slug": app_slug,
            "app_title": "My App ✓",
            "api_token": "public-api-token",
            "plan": plan,
        });
        self.authorized(
            self.client.post(format!("{}/provision", self.addon_url)),
            token,
        )
        .json(&body)
        .send()
        .await
        .unwrap()
    }

    /// Provisions `app_slug` on the free plan, insists on `expected`, and answers the envs.
    pub async fn provision_expecting(&self, app_slug: &str, expected: StatusCode) -> Value {
        let response = self.provision_as(self.auth(), app_slug, "free").await;
        assert_status(&response, expected);
        let answer: Value = response.json().await.unwrap();
        answer["envs"].clone()
    }

    /// Provisions a new app and answers its slug.
    pub async fn provision(&self) -> String {
        let app_slug = app_slug();
        self.provision_expecting(&app_slug, StatusCode::CREATED)
            .await;
        app_slug
    }

    pub async fn change_plan_as(&self, token: Token<'_>, app_slug: &str, plan: &str) -> Response {
        let url = format!("{}/provision/{app_slug}", self.addon_url);
        self.authorized(self.client.put(url), token)
            .json(&json!({"plan": plan}))
            .send()
            .await
            .unwrap()
    }

    pub async fn change_plan(&self, app_slug: &str, plan: &str) -> Response {
        self.change_plan_as(self.auth(), app_slug, plan).await
    }

    pub async fn deprovision_as(&self, token: Token<'_>, app_slug: &str) -> Response {
        let url = format!("{}/provision/{app_slug}", self.addon_url);
        self.authorized(self.client.delete(url), token)
            .send()
            .await
            .unwrap()
    }

    pub async fn deprovision(&self, app_slug: &str) -> Response {
        self.deprovision_as(self.auth(), app_slug).await
    }

    /// A valid login to `app_slug` with a SHA-1 token, minted now.
    pub fn login(&self, app_slug: &str) -> Vec<(&'static str, String)> {
        login_fields(app_slug, &self.secret, now(), false)
    }

    /// Posts a login form as a browser does: without the shared token.
    pub async fn sso(&self, fields: &[(&str, String)]) -> Response {
        self.sso_with(fields, None).await
    }

    pub async fn sso_with(&self, fields: &[(&str, String)], token: Token<'_>) -> Response {
        let url = format!("{}/login", self.addon_url);
        self.authorized(self.client.post(url), token)
            .query(&[("build_slug", "b7e2"), ("app_title", "My App <✓>")])
            .form(fields)
            .send()
            .await
            .unwrap()
    }

    /// Follows a login's redirect with its cookie, as a browser does, and answers the page.
    pub async fn page_after(&self, login: Response) -> Response {
        assert_status(&login, StatusCode::FOUND);
        let cookie = login.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let origin = format!("http://{}", self.addon.addr());
        self.client
            .get(format!("{origin}{}", location(&login)))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap()
    }
}
