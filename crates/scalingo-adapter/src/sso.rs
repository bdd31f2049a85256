//! Single sign-on from the Scalingo dashboard to the provider's: the browser is sent to
//! `sso_url?id=<resource id>&timestamp=<unix seconds>&token=<token>`.

use manifest_core::dialect::TokenKind;
use manifest_core::http::{HttpRequest, Method};
use manifest_core::token::sha1_hex;
use manifest_core::{Ctx, SsoLogin};

/// The token of a Scalingo login, as lowercase hex: `sha1(resource_id:salt:timestamp)`.
///
/// `resource_id` is the id the provider returned on provision, `salt` the manifest's
/// `sso_salt`, `timestamp` Unix seconds. A provider verifies a login by computing the same token
/// and comparing the two with [`manifest_core::token::constant_time_eq`].
pub fn sso_token(resource_id: &str, salt: &str, timestamp: i64) -> String {
    sha1_hex(&[resource_id, salt, &timestamp.to_string()])
}

pub(crate) fn request(ctx: &Ctx, login: &SsoLogin) -> Option<HttpRequest> {
    let salt = ctx.manifest.sso_salt.as_ref()?.expose();
    let mut url = ctx.endpoints.sso_url.clone()?;
    let salt = login.salt_for(TokenKind::ID, salt);
    let token = sso_token(&login.minted_for.id, &salt, login.timestamp);
    url.query_pairs_mut()
        .append_pair("id", &login.resource.id)
        .append_pair("timestamp", &login.timestamp.to_string())
        .append_pair("token", &token);
    Some(HttpRequest::new(Method::Get, url))
}

#[cfg(test)]
mod tests {
    use manifest_core::dialect::TokenMint;
    use manifest_core::http::Body;
    use manifest_core::{Resource, Secret};
    use url::Url;

    use super::*;
    use crate::testing::{ctx, resource};

    const TIMESTAMP: i64 = 1_700_000_000;

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

    fn query(request: &HttpRequest) -> Vec<(String, String)> {
        request
            .url
            .query_pairs()
            .map(|(name, value)| (name.into_owned(), value.into_owned()))
            .collect()
    }

    fn token_of(request: &HttpRequest) -> String {
        query(request)
            .into_iter()
            .find(|(name, _)| name == "token")
            .map(|(_, value)| value)
            .unwrap()
    }

    fn other() -> Resource {
        resource("other-9")
    }

    #[test]
    fn documented_token_vector() {
        assert_eq!(
            sso_token("1", "SSO_SALT", 1262304000),
            "b6010f6fbb850887a396c2bc0ab23974003008f6"
        );
    }

    #[test]
    fn login_is_a_get_with_id_timestamp_and_token() {
        let ctx = ctx("http://127.0.0.1:4567/scalingo/resources");
        let request = request(&ctx, &login(TokenMint::Valid, Vec::new())).unwrap();
        assert_eq!(request.method, Method::Get);
        assert_eq!(request.body, Body::Empty);
        assert_eq!(request.credentials, None);
        assert!(request.headers.is_empty());
        assert_eq!(request.url.path(), "/sso");
        assert_eq!(
            query(&request),
            [
                ("id".to_owned(), "res-1".to_owned()),
                ("timestamp".to_owned(), "1700000000".to_owned()),
                ("token".to_owned(), sso_token("res-1", "salt", TIMESTAMP)),
            ]
        );
    }

    #[test]
    fn keeps_the_query_the_sso_url_already_has() {
        let mut ctx = ctx("http://127.0.0.1:4567/scalingo/resources");
        ctx.endpoints.sso_url = Some(Url::parse("https://db.example/sso?from=scalingo").unwrap());
        let request = request(&ctx, &login(TokenMint::Valid, Vec::new())).unwrap();
        let names: Vec<_> = query(&request).into_iter().map(|(name, _)| name).collect();
        assert_eq!(names, ["from", "id", "timestamp", "token"]);
    }

    #[test]
    fn ids_are_encoded_in_the_query() {
        let ctx = ctx("http://127.0.0.1:4567/scalingo/resources");
        let mut login = login(TokenMint::Valid, Vec::new());
        login.resource.id = "a&token=x y".into();
        login.minted_for.id = login.resource.id.clone();
        let request = request(&ctx, &login).unwrap();
        assert_eq!(query(&request)[0].1, "a&token=x y");
        assert_eq!(
            token_of(&request),
            sso_token("a&token=x y", "salt", TIMESTAMP)
        );
    }

    #[test]
    fn forged_logins_use_another_salt() {
        let ctx = ctx("http://h.example/r");
        let valid = token_of(&request(&ctx, &login(TokenMint::Valid, Vec::new())).unwrap());
        let forged = token_of(&request(&ctx, &login(TokenMint::Forged, Vec::new())).unwrap());
        assert_ne!(valid, forged);
        assert_eq!(valid.len(), forged.len());
        let other_kind = login(
            TokenMint::Valid,
            vec![TokenKind::new("another token", true)],
        );
        assert_eq!(token_of(&request(&ctx, &other_kind).unwrap()), forged);
        let id_kind = login(TokenMint::Valid, vec![TokenKind::ID]);
        assert_eq!(token_of(&request(&ctx, &id_kind).unwrap()), valid);
    }

    #[test]
    fn tokens_are_minted_for_the_named_resource() {
        let ctx = ctx("http://h.example/r");
        let mut login = login(TokenMint::Valid, Vec::new());
        login.minted_for = other();
        let request = request(&ctx, &login).unwrap();
        assert_eq!(query(&request)[0].1, "res-1");
        assert_eq!(token_of(&request), sso_token("other-9", "salt", TIMESTAMP));
    }

    #[test]
    fn no_login_without_a_salt_or_an_sso_url() {
        let login = login(TokenMint::Valid, Vec::new());
        let mut no_url = ctx("http://h.example/r");
        no_url.endpoints.sso_url = None;
        assert!(request(&no_url, &login).is_none());
        let mut unsalted = ctx("http://h.example/r");
        let mut manifest = (*unsalted.manifest).clone();
        manifest.sso_salt = None;
        unsalted.manifest = manifest.into();
        assert!(request(&unsalted, &login).is_none());
    }

    #[test]
    fn salts_never_appear_in_a_login() {
        let mut ctx = ctx("http://h.example/r");
        let mut manifest = (*ctx.manifest).clone();
        manifest.sso_salt = Some(Secret::new("very-secret-salt"));
        ctx.manifest = manifest.into();
        for mint in [TokenMint::Valid, TokenMint::Forged] {
            let request = request(&ctx, &login(mint, Vec::new())).unwrap();
            assert!(!format!("{request:?}").contains("very-secret-salt"));
        }
    }
}
