//! Single sign-on from the Clever Cloud console to the provider's dashboard: a browser form
//! `POST` to `sso_url`, timestamped in milliseconds.

use manifest_core::dialect::TokenKind;
use manifest_core::http::{HttpRequest, Method};
use manifest_core::token::sha1_hex;
use manifest_core::{Ctx, SsoLogin};
use sha2::{Digest, Sha512};

/// What the console puts in `nav-data`. The documentation describes it as information for the
/// console's navigation and, in its latest edition, as always empty; it is sent empty.
const NAV_DATA: &str = "";

/// The `token` of a login, as lowercase hex: `sha1(id:sso_salt:timestamp)`, where `id` is the
/// id the provider returned on provision and `timestamp` the login's time in milliseconds since
/// the Unix epoch, as sent in the form.
pub fn token(id: &str, sso_salt: &str, timestamp_ms: i64) -> String {
    sha1_hex(&[id, sso_salt, &timestamp_ms.to_string()])
}

/// The `signature` of a login, as lowercase hex: the SHA-512 of
/// `id:user_id:email:nav-data:sso_salt:timestamp`, the form's fields as sent (URL-decoded).
/// Later editions of the documentation replace `token` with it: `token` signs neither the user
/// nor the email, so a captured login could be replayed under another user's email.
pub fn signature(
    id: &str,
    user_id: &str,
    email: &str,
    nav_data: &str,
    sso_salt: &str,
    timestamp_ms: i64,
) -> String {
    let timestamp = timestamp_ms.to_string();
    let signed = [id, user_id, email, nav_data, sso_salt, &timestamp].join(":");
    hex::encode(Sha512::digest(signed.as_bytes()))
}

/// The engine counts login timestamps in seconds; Clever Cloud sends milliseconds.
fn milliseconds(timestamp_secs: i64) -> i64 {
    timestamp_secs.saturating_mul(1000)
}

pub(crate) fn request(ctx: &Ctx, login: &SsoLogin) -> Option<HttpRequest> {
    let salt = ctx.manifest.sso_salt.as_ref()?.expose();
    let url = ctx.endpoints.sso_url.clone()?;
    // Both are made with the salt of the token kind Clever Cloud documents, so they are valid
    // or forged together: each edition's provider sees the login the engine means.
    let salt = login.salt_for(TokenKind::ID, salt);
    let timestamp = milliseconds(login.timestamp);
    let minted_for = &login.minted_for.id;
    let fields = [
        ("id", login.resource.id.clone()),
        ("token", token(minted_for, &salt, timestamp)),
        ("timestamp", timestamp.to_string()),
        ("nav-data", NAV_DATA.to_owned()),
        ("email", login.email.clone()),
        ("user_id", login.user_id.clone()),
        (
            "signature",
            signature(
                minted_for,
                &login.user_id,
                &login.email,
                NAV_DATA,
                &salt,
                timestamp,
            ),
        ),
    ];
    let form = fields
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect();
    Some(HttpRequest::new(Method::Post, url).form(form))
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

    const TIMESTAMP_SECS: i64 = 1_700_000_000;

    /// The documentation's example id and salt at 2010-03-03T06:29:32Z, computed independently
    /// (`printf '%s' '1234:fcb5…429f:1267597772000' | sha1sum`). The documentation's own
    /// sample cannot serve: it hashes a timestamp it takes from the clock.
    #[test]
    fn token_matches_a_worked_example() {
        assert_eq!(
            token(
                "1234",
                "fcb5b3add85d65e1dddda87a115b429f",
                1_267_597_772_000
            ),
            "5ee3fe1b81c17c975a848073cc8c2b383e4efd54"
        );
    }

    /// The documentation's example login (id, user, email, empty nav-data) with the salt above,
    /// computed with `sha512sum`.
    #[test]
    fn signature_matches_a_worked_example() {
        assert_eq!(
            signature(
                "1234",
                "user_cccdddee-efff-4445-5566-6777888999aa",
                "me@my.self",
                "",
                "fcb5b3add85d65e1dddda87a115b429f",
                1_267_597_772_000
            ),
            "90cd846bbb50a53f454e01be0f324cc905980c4ab6c668f8d842664a0a1b4e5e\
             f6f7d5eca127a213c0bc632162b066f96330349ecf13b933e69ab575e860e074"
        );
    }

    fn sso_ctx() -> Ctx {
        let mut ctx = ctx("http://127.0.0.1:9000/clevercloud/resources");
        ctx.endpoints.sso_url =
            Some(Url::parse("http://127.0.0.1:9000/clevercloud/sso/login").unwrap());
        ctx
    }

    fn login(mint: TokenMint) -> SsoLogin {
        SsoLogin {
            resource: resource("res-1"),
            minted_for: resource("res-1"),
            timestamp: TIMESTAMP_SECS,
            mint,
            only: Vec::new(),
            email: "user@example.com".into(),
            user_id: "user-42".into(),
        }
    }

    fn form_of(login: &SsoLogin) -> BTreeMap<String, String> {
        let request = request(&sso_ctx(), login).unwrap();
        match request.body {
            Body::Form(fields) => fields.into_iter().collect(),
            other => panic!("expected a form, got {other:?}"),
        }
    }

    #[test]
    fn a_login_is_a_form_post_with_a_millisecond_timestamp() {
        let request = request(&sso_ctx(), &login(TokenMint::Valid)).unwrap();
        assert_eq!(request.method, Method::Post);
        assert_eq!(
            request.url.as_str(),
            "http://127.0.0.1:9000/clevercloud/sso/login"
        );
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
                "signature"
            ]
        );
        let form = form_of(&login(TokenMint::Valid));
        assert_eq!(form["id"], "res-1");
        assert_eq!(form["timestamp"], "1700000000000");
        assert_eq!(form["nav-data"], "");
        assert_eq!(form["token"], token("res-1", "salt", 1_700_000_000_000));
        assert_eq!(
            form["signature"],
            signature(
                "res-1",
                "user-42",
                "user@example.com",
                "",
                "salt",
                1_700_000_000_000
            )
        );
    }

    #[test]
    fn forged_logins_forge_the_token_and_the_signature() {
        let valid = form_of(&login(TokenMint::Valid));
        let forged = form_of(&login(TokenMint::Forged));
        for field in ["token", "signature"] {
            assert_ne!(valid[field], forged[field], "{field}");
            assert_eq!(valid[field].len(), forged[field].len(), "{field}");
        }
    }

    #[test]
    fn both_are_minted_for_the_named_resource() {
        let mut other: Resource = resource("other-9");
        other.input.uuid = "99999999-0000-0000-0000-000000000000".into();
        let mut login = login(TokenMint::Valid);
        login.minted_for = other;
        let form = form_of(&login);
        assert_eq!(form["id"], "res-1");
        assert_eq!(form["token"], token("other-9", "salt", 1_700_000_000_000));
        assert_eq!(
            form["signature"],
            signature(
                "other-9",
                "user-42",
                "user@example.com",
                "",
                "salt",
                1_700_000_000_000
            )
        );
    }

    #[test]
    fn no_login_without_a_salt_or_an_sso_url() {
        let login = login(TokenMint::Valid);
        assert!(request(&ctx("http://h.example/"), &login).is_none());
        let mut unsalted = sso_ctx();
        let mut manifest = (*unsalted.manifest).clone();
        manifest.sso_salt = None;
        unsalted.manifest = manifest.into();
        assert!(request(&unsalted, &login).is_none());
    }

    #[test]
    fn salts_never_appear_in_a_login() {
        let mut ctx = sso_ctx();
        let mut manifest = (*ctx.manifest).clone();
        manifest.sso_salt = Some(Secret::new("very-secret-salt"));
        ctx.manifest = manifest.into();
        for mint in [TokenMint::Valid, TokenMint::Forged] {
            let request = request(&ctx, &login(mint)).unwrap();
            assert!(!format!("{request:?}").contains("very-secret-salt"));
        }
    }
}
