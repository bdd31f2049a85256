//! Single sign-on from the Heroku dashboard to the provider's: the legacy browser `GET` on
//! `<root>/heroku/resources/<id>`, and the current form `POST` to `sso_url`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use manifest_core::dialect::TokenKind;
use manifest_core::http::{HttpRequest, Method};
use manifest_core::token::{sha1_hex, sha256_hex};
use manifest_core::urls::resource_url;
use manifest_core::{Ctx, SsoLogin, SsoTransport};
use serde_json::json;

/// Heroku's `resource_token`: `sha1(uuid:salt:timestamp)`.
pub const RESOURCE_TOKEN: TokenKind = TokenKind::new("resource token (sha1 of uuid)", true);

/// Heroku's `user_scoped_resource_token`: `sha256(uuid:salt:timestamp:user_id:email)`.
pub const USER_SCOPED_TOKEN: TokenKind =
    TokenKind::new("user-scoped resource token (sha256)", true);

/// Computes one of the tokens Heroku sends on a login, as lowercase hex:
///
/// * [`TokenKind::ID`], the form field `token`: `sha1(resource_id:salt:timestamp)`;
/// * [`RESOURCE_TOKEN`], `resource_token`: `sha1(uuid:salt:timestamp)`;
/// * [`USER_SCOPED_TOKEN`], `user_scoped_resource_token`:
///   `sha256(uuid:salt:timestamp:user_id:email)`.
///
/// `resource_id` is the id the provider returned on provision, `uuid` Heroku's id of the add-on,
/// `timestamp` Unix seconds. `None` for a kind Heroku never sends.
///
/// A provider verifies a login by minting the same token and comparing the two with
/// [`manifest_core::token::constant_time_eq`].
pub fn mint(
    kind: TokenKind,
    resource_id: &str,
    uuid: &str,
    salt: &str,
    timestamp: i64,
    user_id: &str,
    email: &str,
) -> Option<String> {
    let timestamp = timestamp.to_string();
    match kind {
        TokenKind::ID => Some(sha1_hex(&[resource_id, salt, &timestamp])),
        RESOURCE_TOKEN => Some(sha1_hex(&[uuid, salt, &timestamp])),
        USER_SCOPED_TOKEN => Some(sha256_hex(&[uuid, salt, &timestamp, user_id, email])),
        _ => None,
    }
}

pub(crate) fn request(ctx: &Ctx, login: &SsoLogin) -> Option<HttpRequest> {
    let salt = ctx.manifest.sso_salt.as_ref()?.expose();
    let token = |kind: TokenKind| {
        let target = &login.minted_for;
        mint(
            kind,
            &target.id,
            &target.input.uuid,
            &login.salt_for(kind, salt),
            login.timestamp,
            &login.user_id,
            &login.email,
        )
    };
    let app = &login.resource.input.app_name;
    let mut fields = vec![
        ("id", login.resource.id.clone()),
        ("token", token(TokenKind::ID)?),
        ("timestamp", login.timestamp.to_string()),
        ("nav-data", nav_data(ctx, app)),
        ("email", login.email.clone()),
        ("user_id", login.user_id.clone()),
        ("app", app.clone()),
        ("context_app", app.clone()),
    ];
    match ctx.endpoints.sso_transport {
        SsoTransport::Get => {
            let mut url = resource_url(&ctx.endpoints.base_url, &login.resource.id);
            url.query_pairs_mut().extend_pairs(&fields);
            Some(HttpRequest::new(Method::Get, url))
        }
        SsoTransport::Post => {
            let url = ctx.endpoints.sso_url.clone()?;
            // Without the resource's uuid the fields minted from it would name another resource,
            // which a correct provider refuses: the id token alone is sent.
            if !login.resource.input.uuid.is_empty() {
                fields.extend([
                    ("resource_id", login.resource.input.uuid.clone()),
                    ("resource_token", token(RESOURCE_TOKEN)?),
                    ("user_scoped_resource_token", token(USER_SCOPED_TOKEN)?),
                ]);
            }
            let form = fields
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value))
                .collect();
            Some(HttpRequest::new(Method::Post, url).form(form))
        }
    }
}

/// What Heroku's navigation header shows, base64url-encoded. Opaque to the provider, which only
/// has to hand it back in the `heroku-nav-data` cookie.
fn nav_data(ctx: &Ctx, app: &str) -> String {
    let manifest = &ctx.manifest;
    let name = manifest
        .document
        .get("/name")
        .and_then(serde_json::Value::as_str)
        .unwrap_or(&manifest.id);
    let nav = json!({
        "addon": name,
        "appname": app,
        "addons": [{"slug": manifest.id, "name": name, "current": true}],
    });
    URL_SAFE_NO_PAD.encode(nav.to_string())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use manifest_core::dialect::TokenMint;
    use manifest_core::http::Body;
    use manifest_core::{Resource, Secret};
    use url::Url;

    use super::*;
    use crate::testing::{ctx, resource};

    const TIMESTAMP: i64 = 1_700_000_000;

    fn post_ctx() -> Ctx {
        let mut ctx = ctx("[]", "http://127.0.0.1:4567/heroku/resources");
        ctx.endpoints.sso_url = Some(Url::parse("http://127.0.0.1:4567/sso/login").unwrap());
        ctx
    }

    fn get_ctx() -> Ctx {
        let mut ctx = ctx("[]", "http://127.0.0.1:4567/heroku/resources");
        ctx.endpoints.sso_transport = SsoTransport::Get;
        ctx
    }

    fn other() -> Resource {
        let mut other = resource("other-9");
        other.input.uuid = "99999999-0000-0000-0000-000000000000".into();
        other
    }

    fn login(mint: TokenMint, only: Vec<TokenKind>) -> SsoLogin {
        SsoLogin {
            resource: resource("res-1"),
            minted_for: resource("res-1"),
            timestamp: TIMESTAMP,
            mint,
            only,
            email: "user@example.com".into(),
            user_id: "user-42".into(),
        }
    }

    fn form(request: &HttpRequest) -> BTreeMap<&str, &str> {
        match &request.body {
            Body::Form(fields) => fields
                .iter()
                .map(|(name, value)| (name.as_str(), value.as_str()))
                .collect(),
            other => panic!("expected a form, got {other:?}"),
        }
    }

    fn expected(kind: TokenKind, target: &Resource, salt: &str) -> String {
        mint(
            kind,
            &target.id,
            &target.input.uuid,
            salt,
            TIMESTAMP,
            "user-42",
            "user@example.com",
        )
        .unwrap()
    }

    #[test]
    fn documented_token_vectors() {
        let documented = mint(
            TokenKind::ID,
            "123",
            "",
            "2f97bfa52ca102f8874716e2eb1d3b4920ad0be4",
            1267597772,
            "",
            "",
        );
        assert_eq!(
            documented.as_deref(),
            Some("bb466eb1d6bc345d11072c3cd25c311f21be130d")
        );
        let kensa = mint(TokenKind::ID, "1", "", "SSO_SALT", 1262304000, "", "");
        assert_eq!(
            kensa.as_deref(),
            Some("b6010f6fbb850887a396c2bc0ab23974003008f6")
        );
    }

    #[test]
    fn each_kind_hashes_its_own_parts() {
        let mint_kind = |kind| mint(kind, "res", "uuid", "salt", 10, "user", "a@b.c");
        assert_eq!(
            mint_kind(RESOURCE_TOKEN),
            Some(sha1_hex(&["uuid", "salt", "10"]))
        );
        assert_eq!(
            mint_kind(USER_SCOPED_TOKEN),
            Some(sha256_hex(&["uuid", "salt", "10", "user", "a@b.c"]))
        );
        assert_eq!(mint_kind(TokenKind::new("sha256 token", false)), None);
    }

    #[test]
    fn a_login_without_the_uuid_carries_only_the_id_token() {
        let mut login = login(TokenMint::Valid, Vec::new());
        login.resource.input.uuid = String::new();
        login.minted_for.input.uuid = String::new();
        let request = request(&post_ctx(), &login).unwrap();
        let fields = form(&request);
        for name in [
            "resource_id",
            "resource_token",
            "user_scoped_resource_token",
        ] {
            assert!(!fields.contains_key(name), "{name}");
        }
        assert_eq!(
            fields["token"],
            expected(TokenKind::ID, &login.resource, "salt")
        );
    }

    #[test]
    fn post_login_carries_every_field_and_token() {
        let login = login(TokenMint::Valid, Vec::new());
        let request = request(&post_ctx(), &login).unwrap();
        assert_eq!(request.method, Method::Post);
        assert_eq!(request.url.as_str(), "http://127.0.0.1:4567/sso/login");
        assert_eq!(request.credentials, None);
        let Body::Form(fields) = &request.body else {
            panic!("expected a form");
        };
        let names: Vec<_> = fields.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(
            names,
            [
                "id",
                "token",
                "timestamp",
                "nav-data",
                "email",
                "user_id",
                "app",
                "context_app",
                "resource_id",
                "resource_token",
                "user_scoped_resource_token"
            ]
        );
        let form = form(&request);
        let target = resource("res-1");
        assert_eq!(form["id"], "res-1");
        assert_eq!(form["timestamp"], "1700000000");
        assert_eq!(form["resource_id"], target.input.uuid);
        assert_eq!(form["app"], "my app ✓");
        assert_eq!(form["context_app"], "my app ✓");
        assert_eq!(form["token"], expected(TokenKind::ID, &target, "salt"));
        assert_eq!(
            form["resource_token"],
            expected(RESOURCE_TOKEN, &target, "salt")
        );
        assert_eq!(
            form["user_scoped_resource_token"],
            expected(USER_SCOPED_TOKEN, &target, "salt")
        );
    }

    #[test]
    fn legacy_login_is_a_get_on_the_resource() {
        let request = request(&get_ctx(), &login(TokenMint::Valid, Vec::new())).unwrap();
        assert_eq!(request.method, Method::Get);
        assert_eq!(request.body, Body::Empty);
        assert_eq!(request.credentials, None);
        assert_eq!(request.url.path(), "/heroku/resources/res-1");
        let query: BTreeMap<_, _> = request.url.query_pairs().collect();
        let names: Vec<_> = query.keys().map(|name| name.as_ref()).collect();
        assert_eq!(
            names,
            [
                "app",
                "context_app",
                "email",
                "id",
                "nav-data",
                "timestamp",
                "token",
                "user_id"
            ]
        );
        assert_eq!(
            query["token"],
            expected(TokenKind::ID, &resource("res-1"), "salt")
        );
        assert_eq!(query["app"], "my app ✓");
    }

    #[test]
    fn forged_logins_use_another_salt_for_every_token() {
        let valid = form_of(login(TokenMint::Valid, Vec::new()));
        let forged = form_of(login(TokenMint::Forged, Vec::new()));
        for field in ["token", "resource_token", "user_scoped_resource_token"] {
            assert_ne!(valid[field], forged[field], "{field}");
            assert_eq!(valid[field].len(), forged[field].len(), "{field}");
        }
    }

    #[test]
    fn only_the_chosen_kinds_are_valid() {
        let valid = form_of(login(TokenMint::Valid, Vec::new()));
        let kinds = [
            (TokenKind::ID, "token"),
            (RESOURCE_TOKEN, "resource_token"),
            (USER_SCOPED_TOKEN, "user_scoped_resource_token"),
        ];
        for (kind, field) in kinds {
            let alone = form_of(login(TokenMint::Valid, vec![kind]));
            for (_, other_field) in kinds {
                assert_eq!(
                    alone[other_field] == valid[other_field],
                    other_field == field,
                    "only {kind:?}: {other_field}"
                );
            }
        }
    }

    #[test]
    fn tokens_are_minted_for_the_named_resource() {
        let mut login = login(TokenMint::Valid, Vec::new());
        login.minted_for = other();
        let form = form_of(login);
        assert_eq!(form["id"], "res-1");
        assert_eq!(form["token"], expected(TokenKind::ID, &other(), "salt"));
        assert_eq!(
            form["resource_token"],
            expected(RESOURCE_TOKEN, &other(), "salt")
        );
    }

    #[test]
    fn no_login_without_a_salt_or_an_sso_url() {
        let login = login(TokenMint::Valid, Vec::new());
        assert!(request(&ctx("[]", "http://h.example/"), &login).is_none());
        let mut unsalted = post_ctx();
        let mut manifest = (*unsalted.manifest).clone();
        manifest.sso_salt = None;
        unsalted.manifest = manifest.into();
        assert!(request(&unsalted, &login).is_none());
    }

    #[test]
    fn nav_data_is_opaque_base64url_describing_the_app() {
        let form = form_of(login(TokenMint::Valid, Vec::new()));
        let decoded = URL_SAFE_NO_PAD.decode(&form["nav-data"]).unwrap();
        let nav: serde_json::Value = serde_json::from_slice(&decoded).unwrap();
        assert_eq!(nav["appname"], "my app ✓");
        assert_eq!(nav["addon"], "Reference DB");
        assert!(
            form["nav-data"]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
    }

    #[test]
    fn salts_never_appear_in_a_login() {
        let mut ctx = post_ctx();
        let mut manifest = (*ctx.manifest).clone();
        manifest.sso_salt = Some(Secret::new("very-secret-salt"));
        ctx.manifest = manifest.into();
        let request = request(&ctx, &login(TokenMint::Forged, Vec::new())).unwrap();
        assert!(!format!("{request:?}").contains("very-secret-salt"));
    }

    fn form_of(login: SsoLogin) -> BTreeMap<String, String> {
        let request = request(&post_ctx(), &login).unwrap();
        form(&request)
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect()
    }
}
