//! `run`: provision one resource, run a command with its config vars, then change its plan and
//! deprovision it, so a provider can be tried by hand or from a script.

use std::collections::BTreeMap;
use std::time::Duration;

use manifest_core::dialect::{ProvisionInput, Resource};
use manifest_core::http::{Body, HttpRequest, HttpResponse, Method};
use manifest_core::{Credentials, Ctx, Dialect, Secret};

use crate::args::RunArgs;
use crate::commands::sso::standalone_ctx;
use crate::commands::test::random_seed;
use crate::error::CliError;
use crate::load::ManifestFile;

/// Sends one dialect-built request; redirects are answers, not something to follow.
async fn send(
    client: &reqwest::Client,
    request: &HttpRequest,
    timeout: Duration,
) -> Result<HttpResponse, String> {
    let method = match request.method {
        Method::Get => reqwest::Method::GET,
        Method::Post => reqwest::Method::POST,
        Method::Put => reqwest::Method::PUT,
        Method::Patch => reqwest::Method::PATCH,
        Method::Delete => reqwest::Method::DELETE,
    };
    let mut builder = client.request(method, request.url.clone()).timeout(timeout);
    for (name, value) in &request.headers {
        builder = builder.header(name, value);
    }
    builder = match &request.body {
        Body::Empty => builder,
        Body::Json(value) => builder.json(value),
        Body::Form(fields) => builder.form(fields),
    };
    builder = match &request.credentials {
        None => builder,
        Some(Credentials::Basic { username, password }) => {
            builder.basic_auth(username, Some(password.expose()))
        }
        Some(Credentials::Header { name, token }) => builder.header(name, token.expose()),
    };
    let started = std::time::Instant::now();
    let response = builder.send().await.map_err(|error| error.to_string())?;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.to_string(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = response.bytes().await.map_err(|error| error.to_string())?;
    Ok(HttpResponse {
        status,
        headers,
        body: body.to_vec(),
        truncated: false,
        elapsed: started.elapsed(),
    })
}

/// A fresh random platform id in the uuid v4 layout.
fn fresh_uuid() -> Result<String, CliError> {
    let high = random_seed()?;
    let low = random_seed()?;
    let hex = format!("{high:016x}{low:016x}");
    Ok(format!(
        "{}-{}-4{}-a{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32]
    ))
}

struct Session<'a> {
    dialect: &'a dyn Dialect,
    ctx: Ctx,
    client: reqwest::Client,
    timeout: Duration,
}

impl Session<'_> {
    /// Sends a request and says whether its status is one of `ok`.
    async fn step(&self, what: &str, request: &HttpRequest, ok: &[u16]) -> Option<HttpResponse> {
        match send(&self.client, request, self.timeout).await {
            Ok(response) if ok.contains(&response.status) => {
                eprintln!("{what}: {}", response.status);
                Some(response)
            }
            Ok(response) => {
                eprintln!("{what} failed: unexpected status {}", response.status);
                None
            }
            Err(error) => {
                eprintln!("{what} failed: {error}");
                None
            }
        }
    }

    async fn provision(&self, input: &ProvisionInput) -> Option<Resource> {
        let request = self.dialect.provision(&self.ctx, input);
        let response = self
            .step(
                "provision",
                &request,
                self.dialect.expectations().provision_ok,
            )
            .await?;
        let reply = match self.dialect.read_provision(input, &response) {
            Ok(reply) => reply,
            Err(error) => {
                eprintln!("provision failed: {error}");
                return None;
            }
        };
        let id = match reply.id {
            Some(Ok(id)) => id,
            Some(Err(problem)) => {
                eprintln!("provision failed: {problem}");
                return None;
            }
            None => {
                eprintln!("provision failed: the answer has no resource id");
                return None;
            }
        };
        let config = reply
            .config
            .into_iter()
            .map(|(name, value)| match value {
                serde_json::Value::String(text) => (name, text),
                other => (name, other.to_string()),
            })
            .collect();
        Some(Resource {
            id,
            input: input.clone(),
            plan: input.plan.clone(),
            config,
        })
    }
}

/// Runs the command between provision and deprovision; exit 0 only when every step and the
/// command succeeded.
pub async fn run(args: &RunArgs) -> Result<i32, CliError> {
    let file = ManifestFile::open(&args.manifest)?;
    let manifest = file
        .load()
        .map_err(|diagnostics| CliError::Manifest(Box::new(diagnostics)))?;
    let dialect = file.dialect.as_ref();
    let expectations = dialect.expectations();
    let plan = args
        .plan
        .clone()
        .unwrap_or_else(|| expectations.default_plan.to_string());
    let plan_change_to = args
        .plan_change_to
        .clone()
        .unwrap_or_else(|| expectations.default_plan_change_to.to_string());
    let (program, program_args) = args
        .command
        .split_first()
        .ok_or_else(|| CliError::usage("name the command to run after `--`"))?;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .map_err(|error| {
            CliError::io("cannot build the HTTP client", std::io::Error::other(error))
        })?;
    let session = Session {
        dialect,
        ctx: standalone_ctx(manifest, args.environment)?,
        client,
        timeout: expectations.deadline_must,
    };
    let uuid = fresh_uuid()?;
    let input = ProvisionInput {
        uuid: uuid.clone(),
        app_slug: format!("conform-{}", &uuid[..8]),
        app_name: format!("conform-{}", &uuid[..8]),
        resource_name: "CONFORM".to_string(),
        plan,
        region: expectations.default_region.to_string(),
        options: BTreeMap::new(),
        api_token: Secret::new(format!("conform-grant-{uuid}")),
        log_drain_token: format!("conform-drain-{}", &uuid[..8]),
    };
    let Some(resource) = session.provision(&input).await else {
        return Ok(1);
    };
    eprintln!("provisioned resource {}", resource.id);

    let command_ok = match tokio::process::Command::new(program)
        .args(program_args)
        .envs(&resource.config)
        .status()
        .await
    {
        Ok(status) => {
            eprintln!("{program} exited with {status}");
            status.success()
        }
        Err(error) => {
            eprintln!("cannot run {program}: {error}");
            false
        }
    };

    let change = dialect.change_plan(&session.ctx, &resource, &plan_change_to);
    let changed = session
        .step(
            &format!("plan change to {plan_change_to}"),
            &change,
            expectations.plan_change_ok,
        )
        .await
        .is_some();
    let deprovision = dialect.deprovision(&session.ctx, &resource);
    let deprovisioned = session
        .step("deprovision", &deprovision, expectations.deprovision_ok)
        .await
        .is_some();
    Ok(if command_ok && changed && deprovisioned {
        0
    } else {
        1
    })
}
