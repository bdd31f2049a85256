//! `sso`: a fresh, valid single sign-on login for one resource, to open in a browser.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use http_runner::Ledger;
use manifest_core::dialect::{ProvisionInput, Resource, SsoLogin, TokenMint};
use manifest_core::http::{Body, HttpRequest, Method};
use manifest_core::{Ctx, Dialect, Environment, Manifest, Secret};
use url::Url;

use crate::args::SsoArgs;
use crate::error::CliError;
use crate::load::ManifestFile;

/// Where a login can be opened: a URL with the token in its query, or a local page that posts
/// the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginTarget {
    Url(Url),
    Page(PathBuf),
}

impl LoginTarget {
    fn as_text(&self) -> String {
        match self {
            LoginTarget::Url(url) => url.to_string(),
            LoginTarget::Page(path) => format!("file://{}", path.display()),
        }
    }
}

/// The context of a login built outside a suite run. SSO requests never use the callback base,
/// so any loopback URL will do.
pub fn standalone_ctx(manifest: Manifest, environment: Environment) -> Result<Ctx, CliError> {
    let endpoints = manifest.endpoints(environment).cloned().ok_or_else(|| {
        CliError::usage(format!(
            "the manifest has no {} endpoints",
            environment.as_str()
        ))
    })?;
    let credentials = manifest.credentials.clone();
    Ok(Ctx {
        manifest: Arc::new(manifest),
        environment,
        endpoints,
        credentials,
        callback_base: Url::parse("http://127.0.0.1/").expect("a valid literal URL"),
    })
}

/// A resource known only by its ids, as the platform would describe it at login.
fn known_resource(id: &str, uuid: &str, plan: &str) -> Resource {
    Resource {
        id: id.to_string(),
        input: ProvisionInput {
            uuid: uuid.to_string(),
            app_slug: id.to_string(),
            app_name: id.to_string(),
            resource_name: id.to_string(),
            plan: plan.to_string(),
            region: String::new(),
            options: BTreeMap::new(),
            api_token: Secret::new(""),
            log_drain_token: String::new(),
        },
        plan: plan.to_string(),
        config: BTreeMap::new(),
    }
}

/// The browser request of a valid login for resource `id` (platform id `uuid`, empty when not
/// known), minted now.
pub fn login_request(
    dialect: &dyn Dialect,
    ctx: &Ctx,
    id: &str,
    uuid: &str,
) -> Result<HttpRequest, CliError> {
    let timestamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|_| CliError::usage("the system clock is set before 1970"))?
        .as_secs();
    let resource = known_resource(id, uuid, dialect.expectations().default_plan);
    let login = SsoLogin {
        minted_for: resource.clone(),
        resource,
        timestamp: i64::try_from(timestamp).unwrap_or(i64::MAX),
        mint: TokenMint::Valid,
        only: Vec::new(),
        email: "conform@example.com".to_string(),
        user_id: "conform-user".to_string(),
    };
    dialect
        .sso(ctx, &login)
        .ok_or_else(|| CliError::usage("the manifest has no single sign-on"))
}

/// The uuid the ledger recorded for the live resource `id` on the provider at `target`, or
/// nothing (an empty uuid) when no ledger can be read or none names it.
/// A ledger that does not exist yet is not created: a lookup has nothing to find there.
fn recorded_uuid(ledger: Option<&Path>, target: &Url, id: &str) -> String {
    let path = match ledger {
        Some(path) => Some(path.to_path_buf()),
        None => Ledger::default_path().ok(),
    };
    path.filter(|path| path.exists())
        .and_then(|path| Ledger::open(path).ok())
        .and_then(|ledger| ledger.find_live(target, id).ok().flatten())
        .map(|entry| entry.uuid)
        .unwrap_or_default()
}

/// A page that submits the login form as soon as it loads.
pub fn auto_submit_page(url: &Url, fields: &[(String, String)]) -> String {
    let mut inputs = String::new();
    for (name, value) in fields {
        inputs.push_str(&format!(
            "    <input type=\"hidden\" name=\"{}\" value=\"{}\">\n",
            escape_html(name),
            escape_html(value)
        ));
    }
    format!(
        "<!DOCTYPE html>\n<html>\n<head><meta charset=\"utf-8\"><title>Single sign-on</title></head>\n\
         <body onload=\"document.forms[0].submit()\">\n  <form method=\"post\" action=\"{}\">\n{inputs}\
         \x20   <noscript><button type=\"submit\">Sign in</button></noscript>\n  </form>\n</body>\n</html>\n",
        escape_html(url.as_str())
    )
}

fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// Turns a login request into something a browser opens; a form becomes a page in a private
/// temporary file that stays after the command ends.
pub fn login_target(request: &HttpRequest) -> Result<LoginTarget, CliError> {
    match (&request.method, &request.body) {
        (Method::Get, Body::Empty) => Ok(LoginTarget::Url(request.url.clone())),
        (Method::Post, Body::Form(fields)) => {
            let page = auto_submit_page(&request.url, fields);
            let mut file = tempfile::Builder::new()
                .prefix("addon-conform-sso-")
                .suffix(".html")
                .tempfile()
                .map_err(|error| CliError::io("cannot create the login page", error))?;
            file.write_all(page.as_bytes())
                .map_err(|error| CliError::io("cannot write the login page", error))?;
            let (_, path) = file
                .keep()
                .map_err(|error| CliError::io("cannot keep the login page", error.error))?;
            Ok(LoginTarget::Page(path))
        }
        (method, _) => Err(CliError::usage(format!(
            "the platform's login is a {} request this command cannot hand to a browser",
            method.as_str()
        ))),
    }
}

fn open_in_browser(target: &str) -> Result<(), CliError> {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    let status = std::process::Command::new(opener)
        .arg(target)
        .status()
        .map_err(|error| CliError::io(format!("cannot run {opener}"), error))?;
    if status.success() {
        Ok(())
    } else {
        Err(CliError::usage(format!("{opener} failed ({status})")))
    }
}

/// Prints where to open a fresh login; with `--open`, opens it.
pub fn sso(args: &SsoArgs) -> Result<i32, CliError> {
    let file = ManifestFile::open(&args.manifest)?;
    let manifest = file
        .load()
        .map_err(|diagnostics| CliError::Manifest(Box::new(diagnostics)))?;
    let ctx = standalone_ctx(manifest, args.environment)?;
    let uuid = match &args.uuid {
        Some(uuid) => uuid.clone(),
        None => recorded_uuid(args.ledger.as_deref(), &ctx.endpoints.base_url, &args.id),
    };
    if uuid.is_empty()
        && file
            .dialect
            .expectations()
            .sso_token_kinds
            .iter()
            .any(|kind| kind.minted_from_uuid())
    {
        eprintln!(
            "note: no live ledger entry names resource `{}` and --uuid was not given; the login \
             carries only the tokens that do not need its uuid",
            args.id
        );
    }
    let request = login_request(file.dialect, &ctx, &args.id, &uuid)?;
    let target = login_target(&request)?;
    let window = file.dialect.expectations().sso_window.as_secs() / 60;
    match &target {
        LoginTarget::Url(_) => eprintln!(
            "note: this URL holds a live login token for about {window} minutes; do not share it"
        ),
        LoginTarget::Page(path) => eprintln!(
            "note: {} holds a live login token for about {window} minutes; delete it after use",
            path.display()
        ),
    }
    let text = target.as_text();
    println!("{text}");
    if args.open {
        open_in_browser(&text)?;
    }
    Ok(0)
}
