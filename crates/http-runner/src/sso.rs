//! Single sign-on scenarios. Logins are sent as a browser sends them: no provisioning
//! credentials, redirects followed within the provider's SSO origin, cookies kept between hops.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use manifest_core::dialect::{SsoLogin, TokenKind, TokenMint};
use manifest_core::http::{Body, HttpRequest, HttpResponse, Method};
use manifest_core::report::Exchange;
use manifest_core::{Ctx, Dialect, Resource};

use crate::client::{Transport, TransportError};
use crate::evidence::Redactor;
use crate::needs::Unmet;
use crate::suite::{Suite, describe_response};

/// A browser gives up after this many redirects.
const MAX_REDIRECTS: usize = 10;

/// Everything a login led to.
#[derive(Debug)]
pub struct Visit {
    pub exchanges: Vec<Exchange>,
    /// The first answer: what the provider said to the login itself.
    pub first: Result<HttpResponse, TransportError>,
    /// The page the browser ended on, or why it ended nowhere.
    pub last: Result<HttpResponse, String>,
    /// Cookies set along the way.
    pub cookies: BTreeMap<String, String>,
}

impl Visit {
    /// Whether any answer along the way set a cookie: what a login that lets the browser in
    /// does to open its session.
    pub fn opened_session(&self) -> bool {
        !self.cookies.is_empty()
    }
}

pub(crate) const SSO_CHECKS: &[&str] = &[
    "sso.login",
    "sso.rejects-bad-token",
    "sso.rejects-stale-timestamp",
    "sso.rejects-future-timestamp",
    "sso.rejects-other-resource",
    "sso.token-kinds",
    "sso.nav-cookie",
    "sso.layout",
    "sso.html",
];

pub(crate) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64)
}

/// Sends a login and follows it like a browser; `None` when the manifest has no single sign-on.
pub(crate) async fn visit(
    dialect: &dyn Dialect,
    ctx: &Ctx,
    browser: &Transport,
    redactor: &Redactor,
    login: &SsoLogin,
) -> Option<Visit> {
    let mut request = dialect.sso(ctx, login)?;
    let origin = request.url.origin();
    let mut cookies: BTreeMap<String, String> = BTreeMap::new();
    let mut exchanges = Vec::new();
    let mut first: Option<HttpResponse> = None;
    let last = loop {
        if !cookies.is_empty() {
            let header = cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            request
                .headers
                .retain(|(name, _)| !name.eq_ignore_ascii_case("cookie"));
            request.headers.push(("Cookie".into(), header));
        }
        let started = std::time::Instant::now();
        let response = browser.send(&request).await;
        let elapsed = started.elapsed();
        exchanges.push(match &response {
            Ok(r) => redactor.exchange(&request, Ok(r), elapsed),
            Err(e) => redactor.exchange(&request, Err(&e.to_string()), elapsed),
        });
        let response = match response {
            Ok(response) => response,
            Err(error) if first.is_none() => {
                return Some(Visit {
                    exchanges,
                    last: Err(error.to_string()),
                    first: Err(error),
                    cookies,
                });
            }
            Err(error) => break Err(error.to_string()),
        };
        for (name, value) in &response.headers {
            if name.eq_ignore_ascii_case("set-cookie")
                && let Some((key, rest)) = value.split_once('=')
            {
                let value = rest.split(';').next().unwrap_or_default();
                cookies.insert(key.trim().to_string(), value.to_string());
            }
        }
        let hops = exchanges.len();
        if first.is_none() {
            first = Some(response.clone());
        }
        if !response.is_redirect() {
            break Ok(response);
        }
        let Some(next) = response
            .header("location")
            .and_then(|location| request.url.join(location).ok())
        else {
            break Err(format!(
                "redirect ({}) without a usable Location",
                response.status
            ));
        };
        if next.origin() != origin {
            break Err(format!(
                "redirected to another origin ({}); not followed",
                next.origin().ascii_serialization()
            ));
        }
        if hops > MAX_REDIRECTS {
            break Err(format!("more than {MAX_REDIRECTS} redirects"));
        }
        request = HttpRequest {
            method: Method::Get,
            url: next,
            headers: Vec::new(),
            body: Body::Empty,
            credentials: None,
        };
    };
    let first = first.map_or_else(|| Err(TransportError::Other("no answer".into())), Ok);
    Some(Visit {
        exchanges,
        first,
        last,
        cookies,
    })
}

/// A login to `resource` by the engine's test user, with tokens minted for `minted_for`.
pub(crate) fn login(
    resource: &Resource,
    minted_for: &Resource,
    timestamp: i64,
    mint: TokenMint,
    only: Vec<TokenKind>,
) -> SsoLogin {
    SsoLogin {
        resource: resource.clone(),
        minted_for: minted_for.clone(),
        timestamp,
        mint,
        only,
        email: "conform-user@example.com".into(),
        user_id: "01234567-89ab-4def-8123-456789abcdef".into(),
    }
}

impl Suite<'_> {
    async fn visit(&self, login: &SsoLogin) -> Option<Visit> {
        visit(
            self.dialect,
            &self.ctx,
            &self.browser,
            &self.redactor,
            login,
        )
        .await
    }

    fn record_visit(&mut self, id: &str, visit: &Visit) {
        for exchange in &visit.exchanges {
            self.book.evidence(id, exchange);
        }
    }

    /// Sends logins that do not depend on each other side by side; the visits come back in
    /// the order of the logins.
    async fn visit_each(&self, logins: &[SsoLogin]) -> Vec<Option<Visit>> {
        futures_util::future::join_all(logins.iter().map(|login| self.visit(login))).await
    }

    /// A login that must be refused, as the dialect counts refusals. A failure is judged on
    /// the login itself, whose exchange is the evidence shown, not the page it led to.
    fn expect_refused(&mut self, id: &str, visit: Option<Visit>, what: &str) {
        let Some(visit) = visit else {
            return;
        };
        self.record_visit(id, &visit);
        let refusal = self.dialect.expectations().sso_refusal;
        let Some(judged) = visit.exchanges.first() else {
            return;
        };
        match &visit.first {
            Ok(response) if refusal.refuses(response, visit.opened_session()) => {
                self.book.pass(id);
            }
            Ok(response) => {
                let ending = match &visit.last {
                    Ok(page) if page.status == 200 && visit.exchanges.len() > 1 => {
                        " and the browser ended on a 200 page".to_string()
                    }
                    _ => String::new(),
                };
                self.book.fail_on(
                    id,
                    format!(
                        "{what} was not refused: expected {}, got {}{ending}",
                        refusal.describe(),
                        describe_response(response)
                    ),
                    judged,
                );
            }
            Err(error) => self.book.fail_on(id, format!("{what}: {error}"), judged),
        }
    }

    /// A valid login to the main resource: it must open the dashboard, whose page is checked.
    /// Establishes whether refusals can mean anything.
    pub(crate) async fn sso_login(&mut self) {
        let Some(resource) = self.main_resource() else {
            return;
        };
        let probe = login(&resource, &resource, now(), TokenMint::Valid, Vec::new());
        let Some(visit) = self.visit(&probe).await else {
            return;
        };
        self.record_visit("sso.login", &visit);
        for id in ["sso.nav-cookie", "sso.layout", "sso.html"] {
            self.record_visit(id, &visit);
        }
        let refusal = self.dialect.expectations().sso_refusal;
        let failed = match (&visit.first, &visit.last) {
            // A redirect the platform counts as a refusal may still land on a 200 page (a
            // sign-in form): no session was opened, so nobody is logged in.
            (Ok(first), _)
                if first.is_redirect() && refusal.refuses(first, visit.opened_session()) =>
            {
                format!(
                    "a valid login was sent away ({} to {}) without opening a session, which \
                     counts as a refusal on this platform",
                    first.status,
                    self.redactor
                        .redact(first.header("location").unwrap_or("nowhere"))
                )
            }
            (_, Ok(page)) if page.status == 200 => {
                self.book.pass("sso.login");
                self.facts.login = Ok(());
                self.page_checks(&visit, page, self.legacy_sso);
                return;
            }
            (_, Ok(page)) => format!("a valid login ended on {}", describe_response(page)),
            (_, Err(reason)) => format!("a valid login did not reach a page: {reason}"),
        };
        self.book.fail("sso.login", failed);
        let unmet = Unmet::failed("no working login", "sso.login");
        for id in ["sso.nav-cookie", "sso.layout", "sso.html"] {
            self.book.skip(id, unmet.to_string());
        }
        self.facts.login = Err(unmet);
    }

    /// Logins that must be refused; they mean something only once a valid login works.
    pub(crate) async fn sso_refusals(&mut self) {
        let Some(resource) = self.main_resource() else {
            return;
        };
        let resource = &resource;
        let window = self.sso_window;
        let margin = Duration::from_secs(60);
        let stale = now() - (window + margin).as_secs() as i64;
        let future = now() + (window + margin).as_secs() as i64;
        let mut refusals = vec![
            (
                "sso.rejects-bad-token",
                login(resource, resource, now(), TokenMint::Forged, Vec::new()),
                "a login with tokens minted from a wrong salt",
            ),
            (
                "sso.rejects-stale-timestamp",
                login(resource, resource, stale, TokenMint::Valid, Vec::new()),
                "a correctly signed login older than the window",
            ),
            (
                "sso.rejects-future-timestamp",
                login(resource, resource, future, TokenMint::Valid, Vec::new()),
                "a correctly signed login from beyond the window in the future",
            ),
        ];
        match self.facts.second.clone() {
            Ok(other) => refusals.push((
                "sso.rejects-other-resource",
                login(resource, &other, now(), TokenMint::Valid, Vec::new()),
                "a login carrying another resource's valid tokens",
            )),
            Err(unmet) => self
                .book
                .skip("sso.rejects-other-resource", unmet.to_string()),
        }
        let logins: Vec<SsoLogin> = refusals.iter().map(|(_, login, _)| login.clone()).collect();
        let visits = self.visit_each(&logins).await;
        for ((id, _, what), visit) in refusals.into_iter().zip(visits) {
            self.expect_refused(id, visit, what);
        }
    }

    pub(crate) async fn sso_token_kinds(&mut self) {
        let Some(resource) = self.main_resource() else {
            return;
        };
        self.token_kinds(&resource).await;
    }

    async fn token_kinds(&mut self, resource: &Resource) {
        let every_kind = self.dialect.expectations().sso_token_kinds;
        if every_kind.len() < 2 {
            self.book
                .skip("sso.token-kinds", "the platform sends one token kind");
            return;
        }
        let uuid_known = !resource.input.uuid.is_empty();
        let kinds: Vec<TokenKind> = every_kind
            .iter()
            .copied()
            .filter(|kind| uuid_known || !kind.minted_from_uuid())
            .collect();
        if kinds.len() < 2 {
            self.book.skip(
                "sso.token-kinds",
                format!(
                    "the uuid of resource `{}` is not known (no live ledger entry names it; give \
                     it with --uuid), and the other token kinds are minted from it",
                    resource.id
                ),
            );
            return;
        }
        let mut honoured = Vec::new();
        let mut ignored = Vec::new();
        let logins: Vec<SsoLogin> = kinds
            .iter()
            .map(|kind| login(resource, resource, now(), TokenMint::Valid, vec![*kind]))
            .collect();
        let visits = self.visit_each(&logins).await;
        for (kind, visit) in kinds.iter().zip(visits) {
            let Some(visit) = visit else {
                return;
            };
            self.record_visit("sso.token-kinds", &visit);
            let refusal = self.dialect.expectations().sso_refusal;
            let refused = visit
                .first
                .as_ref()
                .is_ok_and(|first| refusal.refuses(first, visit.opened_session()));
            if !refused && matches!(&visit.last, Ok(page) if page.status == 200) {
                honoured.push(kind.name());
            } else {
                ignored.push(kind.name());
            }
        }
        let every_kind_required = self.dialect.expectations().sso_every_token_kind_required;
        if every_kind_required && !ignored.is_empty() {
            self.book.fail(
                "sso.token-kinds",
                format!(
                    "a valid login with only the {} did not open the dashboard; the platform sends \
                     any of these kinds, so each must be accepted",
                    ignored.join(", ")
                ),
            );
        } else if honoured.is_empty() {
            // The platform sends every kind at once, so a provider that needs them all still
            // works: worth a warning, not a failure.
            self.book.warn("sso.token-kinds", "no token kind opens the dashboard on its own; the provider may require all of them at once");
        } else {
            self.book.pass("sso.token-kinds");
            let mut note = format!("honoured alone: {}", honoured.join(", "));
            if !ignored.is_empty() {
                note.push_str(&format!("; not honoured alone: {}", ignored.join(", ")));
            }
            self.book.note("sso.token-kinds", note);
        }
    }

    fn page_checks(&mut self, visit: &Visit, page: &HttpResponse, legacy: bool) {
        let platform = self.dialect.display_name();
        match self.dialect.expectations().legacy_sso_page {
            Some(legacy_page) if legacy => {
                let cookie = legacy_page.nav_cookie;
                if visit.cookies.contains_key(cookie) {
                    self.book.pass("sso.nav-cookie");
                } else {
                    self.book.fail(
                        "sso.nav-cookie",
                        format!("the login set no `{cookie}` cookie"),
                    );
                }
                let html = page.text();
                let markers = legacy_page.header_markers;
                if markers.iter().any(|marker| html.contains(marker)) {
                    self.book.pass("sso.layout");
                } else {
                    self.book.fail(
                        "sso.layout",
                        format!(
                            "the dashboard does not include the {platform} header (`{}`)",
                            markers.join("` or `")
                        ),
                    );
                }
            }
            Some(_) => {
                for id in ["sso.nav-cookie", "sso.layout"] {
                    self.book.skip(
                        id,
                        format!("legacy {platform} header checks run only with --legacy-sso"),
                    );
                }
            }
            None => {}
        }
        let markers = self.dialect.expectations().sso_page_markers;
        if markers.is_empty() {
            return;
        }
        let html = page.text();
        let mut problems = Vec::new();
        // A byte order mark may precede the doctype: browsers skip it.
        if !html
            .trim_start_matches('\u{feff}')
            .trim_start()
            .get(..15)
            .is_some_and(|start| start.eq_ignore_ascii_case("<!doctype html>"))
        {
            problems.push("the page does not start with `<!DOCTYPE html>`".to_string());
        }
        let content_type = page.header("content-type").unwrap_or_default();
        if !content_type.to_ascii_lowercase().starts_with("text/html") {
            problems.push(format!(
                "the page is served as `{content_type}`, not `text/html`"
            ));
        }
        for marker in markers {
            if !html.contains(marker) {
                problems.push(format!("the page does not include `{marker}`"));
            }
        }
        if problems.is_empty() {
            self.book.pass("sso.html");
        } else {
            for problem in problems {
                self.book.fail("sso.html", problem);
            }
        }
    }
}
