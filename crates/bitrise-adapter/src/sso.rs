//! Single sign-on from Bitrise to the add-on's dashboard: the browser posts a form with
//! `app_slug`, `timestamp` and `token` to `addon-url/login?build_slug=…&app_title=…`, never with
//! the shared token. The token is either `sha1(app_slug:sso-secret:timestamp)` or `sha256-`
//! followed by `sha256(app_slug:sso-secret:timestamp)`; a provider must accept both.

use manifest_core::dialect::TokenKind;
use manifest_core::http::{HttpRequest, Method};
use manifest_core::token::{sha1_hex, sha256_hex};
use manifest_core::{Ctx, SsoLogin};

/// What starts a SHA-256 login token.
pub const SHA256_PREFIX: &str = "sha256-";

/// Bitrise's second token: `"sha256-" + sha256(slug:secret:timestamp)`.
pub const SHA256_TOKEN: TokenKind = TokenKind::new("sha256 token", false);

/// The provision option that names the build a login comes from (`build_slug` in the login
/// URL). Without it, logins come from the app's page and name no build.
pub const BUILD_SLUG_OPTION: &str = "build_slug";

/// The SHA-1 login token: lowercase hex `sha1(app_slug:secret:timestamp)`.
pub fn sso_token(app_slug: &str, secret: &str, timestamp: i64) -> String {
    sha1_hex(&[app_slug, secret, &timestamp.to_string()])
}

/// The SHA-256 login token: `sha256-` and lowercase hex `sha256(app_slug:secret:timestamp)`.
pub fn sso_token_sha256(app_slug: &str, secret: &str, timestamp: i64) -> String {
    format!(
        "{SHA256_PREFIX}{}",
        sha256_hex(&[app_slug, secret, &timestamp.to_string()])
    )
}

/// The login the browser posts. One token per login, as Bitrise sends it: the SHA-256 one when
/// only that kind is asked for, else the SHA-1 one.
pub(crate) fn request(ctx: &Ctx, login: &SsoLogin) -> Option<HttpRequest> {
    let secret = ctx.manifest.sso_salt.as_ref()?.expose();
    let mut url = ctx.endpoints.sso_url.clone()?;
    let build_slug = login
        .resource
        .input
        .options
        .get(BUILD_SLUG_OPTION)
        .map_or("", String::as_str);
    url.query_pairs_mut()
        .append_pair("build_slug", build_slug)
        .append_pair("app_title", &login.resource.input.app_name);
    let kind = if login.only == [SHA256_TOKEN] {
        SHA256_TOKEN
    } else {
        TokenKind::ID
    };
    let secret = login.salt_for(kind, secret);
    let slug = &login.minted_for.id;
    let token = match kind {
        SHA256_TOKEN => sso_token_sha256(slug, &secret, login.timestamp),
        _ => sso_token(slug, &secret, login.timestamp),
    };
    let fields = vec![
        ("app_slug".to_owned(), login.resource.id.clone()),
        ("timestamp".to_owned(), login.timestamp.to_string()),
        ("token".to_owned(), token),
    ];
    Some(HttpRequest::new(Method::Post, url).form(fields))
}

#[cfg(test)]
mod tests {
    use manifest_core::Secret;
    use manifest_core::dialect::TokenMint;
    use manifest_core::http::Body;

    use super::*;
    use crate::testing::{ctx, resource};

    const TIMESTAMP: i64 = 1_700_000_000;

    fn login(mint: TokenMint, only: Vec<TokenKind>) -> SsoLogin {
        SsoLogin {
            resource: resource("app-1"),
            minted_for: resource("app-1"),
            timestamp: TIMESTAMP,
            mint,
            only,
            email: "user@example.com".into(),
            user_id: "user-42".into(),
        }
    }

    fn fields(request: &HttpRequest) -> Vec<(String, String)> {
        match &request.body {
            Body::Form(fields) => fields.clone(),
            other => panic!("expected a form, got {other:?}"),
        }
    }

    fn token(request: &HttpRequest) -> String {
        fields(request)
            .into_iter()
            .find(|(name, _)| name == "token")
            .map(|(_, value)| value)
            .unwrap()
    }

    #[test]
    fn tokens_follow_the_documented_formulas() {
        assert_eq!(
            sso_token("app", "secret", 1),
            sha1_hex(&["app", "secret", "1"])
        );
        let sha256 = sso_token_sha256("app", "secret", 1);
        assert_eq!(
            sha256,
            format!("sha256-{}", sha256_hex(&["app", "secret", "1"]))
        );
        assert_eq!(sha256.len(), "sha256-".len() + 64);
    }

    #[test]
    fn login_is_a_form_post_without_the_shared_token() {
        let ctx = ctx("http://127.0.0.1:4567/bitrise");
        let request = request(&ctx, &login(TokenMint::Valid, Vec::new())).unwrap();
        assert_eq!(request.method, Method::Post);
        assert_eq!(request.credentials, None);
        assert!(request.headers.is_empty());
        assert_eq!(
            request.url.as_str(),
            "http://127.0.0.1:4567/bitrise/login?build_slug=&app_title=my+app+%E2%9C%93"
        );
        assert_eq!(
            fields(&request),
            [
                ("app_slug".to_owned(), "app-1".to_owned()),
                ("timestamp".to_owned(), "1700000000".to_owned()),
                ("token".to_owned(), sso_token("app-1", "secret", TIMESTAMP)),
            ]
        );
    }

    #[test]
    fn the_build_slug_comes_from_the_runs_options() {
        let ctx = ctx("http://h.example/bitrise");
        let mut login = login(TokenMint::Valid, Vec::new());
        login
            .resource
            .input
            .options
            .insert(BUILD_SLUG_OPTION.into(), "b&1".into());
        let request = request(&ctx, &login).unwrap();
        assert_eq!(
            request.url.query(),
            Some("build_slug=b%261&app_title=my+app+%E2%9C%93")
        );
    }

    #[test]
    fn each_kind_is_sent_alone() {
        let ctx = ctx("http://h.example/bitrise");
        let sha1 = token(&request(&ctx, &login(TokenMint::Valid, vec![TokenKind::ID])).unwrap());
        assert_eq!(sha1, sso_token("app-1", "secret", TIMESTAMP));
        let sha256 = token(&request(&ctx, &login(TokenMint::Valid, vec![SHA256_TOKEN])).unwrap());
        assert_eq!(sha256, sso_token_sha256("app-1", "secret", TIMESTAMP));
        let forged = token(&request(&ctx, &login(TokenMint::Forged, Vec::new())).unwrap());
        assert_eq!(forged, sso_token("app-1", "secret-forged", TIMESTAMP));
    }

    #[test]
    fn tokens_are_minted_for_the_named_app() {
        let ctx = ctx("http://h.example/bitrise");
        let mut crossed = login(TokenMint::Valid, Vec::new());
        crossed.minted_for = resource("other-app");
        let request = request(&ctx, &crossed).unwrap();
        assert_eq!(fields(&request)[0].1, "app-1");
        assert_eq!(token(&request), sso_token("other-app", "secret", TIMESTAMP));
    }

    #[test]
    fn no_login_without_a_secret() {
        let mut ctx = ctx("http://h.example/bitrise");
        let mut manifest = (*ctx.manifest).clone();
        manifest.sso_salt = None;
        ctx.manifest = manifest.into();
        assert!(request(&ctx, &login(TokenMint::Valid, Vec::new())).is_none());
    }

    #[test]
    fn secrets_never_appear_in_a_login() {
        let mut ctx = ctx("http://h.example/bitrise");
        let mut manifest = (*ctx.manifest).clone();
        manifest.sso_salt = Some(Secret::new("very-secret-salt"));
        ctx.manifest = manifest.into();
        for mint in [TokenMint::Valid, TokenMint::Forged] {
            let request = request(&ctx, &login(mint, Vec::new())).unwrap();
            assert!(!format!("{request:?}").contains("very-secret-salt"));
        }
    }
}
