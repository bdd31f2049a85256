//! Credential probes: wrong credentials on every call that carries them must be refused.

use manifest_core::Forgery;
use manifest_core::http::Body;

use super::*;

/// The body of the probes that must be refused before their body is read: cut off where a JSON
/// object would go on.
const MALFORMED_BODY: &str = "{\"plan\": ";

impl<'a> Suite<'a> {
    /// Whether a credential probe was refused, judged by the dialect's refusal statuses; a
    /// failure names the probe and the call it was sent on.
    fn judge_probe(&mut self, id: &str, forgery: &Forgery, on: &str, sent: &Sent) -> bool {
        let unauthorized = self.expectations().unauthorized;
        match &sent.response {
            Ok(response) if unauthorized.contains(&response.status) => {
                self.book.pass(id);
                true
            }
            Ok(response) => {
                let verdict = if response.is_success() {
                    "was accepted"
                } else {
                    "was not refused"
                };
                self.book.fail_on(
                    id,
                    format!(
                        "{} {verdict} on {on}: expected {}, got {}",
                        forgery.label,
                        statuses(unauthorized),
                        describe_response(response)
                    ),
                    &sent.exchange,
                );
                false
            }
            Err(error) => {
                self.book.fail_on(
                    id,
                    format!("{} on {on}: {error}", forgery.label),
                    &sent.exchange,
                );
                false
            }
        }
    }

    /// Sends credential probes: the first alone, then, once it was answered, the rest side by
    /// side (they do not depend on each other). A provider that does not answer a probe would
    /// make each of them wait the whole timeout, so a first probe without an answer is the
    /// only one sent.
    async fn send_probes(&self, requests: Vec<HttpRequest>) -> Vec<Sent> {
        let mut requests = requests.into_iter();
        let Some(first) = requests.next() else {
            return Vec::new();
        };
        let first = self.send(first).await;
        let answered = first.response.is_ok();
        let mut sent = vec![first];
        if answered {
            sent.extend(self.send_each(requests.collect()).await);
        }
        sent
    }

    pub(super) async fn provision_auth(&mut self) {
        let mut probes = Vec::new();
        for forgery in self.ctx.credentials.forgeries() {
            let input = self.inputs.provision(&self.plan);
            probes.push((forgery, input));
        }
        let requests = probes
            .iter()
            .map(|(forgery, input)| {
                let mut request = self.dialect.provision(&self.ctx, input);
                request.credentials = forgery.credentials.clone();
                request
            })
            .collect();
        let answers = self.send_probes(requests).await;
        let unanswered = answers.len() < probes.len();
        for ((forgery, input), sent) in probes.iter().zip(answers) {
            self.evidence(&["provision.auth"], &sent);
            if !self.judge_probe("provision.auth", forgery, "provision", &sent)
                && let Ok(response) = &sent.response
                && let Tracked::Own(id) = self.track_created(input, response)
                && let Some(resource) = self.ledger.find(&id)
            {
                self.deprovision_quietly(&resource).await;
            }
        }
        if unanswered {
            self.book.skip(
                "provision.auth-before-parse",
                "a credential probe on provision got no answer",
            );
            return;
        }
        let input = self.inputs.provision(&self.plan);
        let request = self.dialect.provision(&self.ctx, &input);
        if let Some(Ok(response)) = self
            .auth_before_parse("provision.auth-before-parse", request, "provision")
            .await
            && let Tracked::Own(id) = self.track_created(&input, &response)
            && let Some(resource) = self.ledger.find(&id)
        {
            self.deprovision_quietly(&resource).await;
        }
    }

    /// Sends `request` with a body that is not JSON and a wrong secret: the credentials must be
    /// refused before the body is read. Returns the answer, or `None` when the credentials
    /// have no wrong secret to send.
    async fn auth_before_parse(
        &mut self,
        id: &str,
        mut request: HttpRequest,
        on: &str,
    ) -> Option<Result<HttpResponse, TransportError>> {
        let forgery = self.ctx.credentials.wrong_secret()?;
        request.credentials = forgery.credentials;
        request.body = Body::MalformedJson(MALFORMED_BODY);
        let sent = self.send(request).await;
        self.evidence(&[id], &sent);
        let unauthorized = self.expectations().unauthorized;
        match &sent.response {
            Ok(response) if unauthorized.contains(&response.status) => self.book.pass(id),
            Ok(response) => {
                let verdict = if response.is_success() {
                    "was accepted"
                } else {
                    "was answered about the body before the credentials were refused"
                };
                self.book.fail_on(
                    id,
                    format!(
                        "a malformed body with {} {verdict} on {on}: expected {}, got {}",
                        forgery.label,
                        statuses(unauthorized),
                        describe_response(response)
                    ),
                    &sent.exchange,
                );
            }
            Err(error) => self.book.fail_on(
                id,
                format!("a malformed body with {} on {on}: {error}", forgery.label),
                &sent.exchange,
            ),
        }
        Some(sent.response)
    }

    /// Wrong credentials on a plan change, for the provider's resource when there is one, else
    /// for a made-up id.
    pub(super) async fn plan_change_auth(&mut self) {
        let resource = match &self.facts.resource {
            Ok(resource) => resource.clone(),
            Err(_) => self.made_up_resource(),
        };
        let forgeries = self.ctx.credentials.forgeries();
        let requests = forgeries
            .iter()
            .map(|forgery| {
                let mut request = self.dialect.change_plan(&self.ctx, &resource, &self.plan);
                request.credentials = forgery.credentials.clone();
                request
            })
            .collect();
        let answers = self.send_probes(requests).await;
        let unanswered = answers.len() < forgeries.len();
        for (forgery, sent) in forgeries.iter().zip(answers) {
            self.evidence(&["plan-change.auth"], &sent);
            self.judge_probe("plan-change.auth", forgery, "plan change", &sent);
        }
        if unanswered {
            self.book.skip(
                "plan-change.auth-before-parse",
                "a credential probe on plan change got no answer",
            );
            return;
        }
        let request = self.dialect.change_plan(&self.ctx, &resource, &self.plan);
        self.auth_before_parse("plan-change.auth-before-parse", request, "plan change")
            .await;
    }

    /// Wrong credentials on a deprovision, for the live resource when there is one and for an
    /// unknown id.
    pub(super) async fn deprovision_auth(&mut self) {
        let live = self.facts.resource.clone().ok();
        let unknown = self.made_up_resource();
        let unauthorized = self.expectations().unauthorized;
        let targets: Vec<(&Resource, &str)> = live
            .iter()
            .map(|resource| (resource, "deprovision of the live resource"))
            .chain([(&unknown, "deprovision of an unknown id")])
            .collect();
        let forgeries = self.ctx.credentials.forgeries();
        let probes: Vec<(&Forgery, &Resource, &str)> = forgeries
            .iter()
            .flat_map(|forgery| {
                targets
                    .iter()
                    .map(move |&(target, on)| (forgery, target, on))
            })
            .collect();
        let requests = probes
            .iter()
            .map(|(forgery, target, _)| {
                let mut request = self.dialect.deprovision(&self.ctx, target);
                request.credentials = forgery.credentials.clone();
                request
            })
            .collect();
        let answers = self.send_probes(requests).await;
        for ((forgery, target, on), sent) in probes.into_iter().zip(answers) {
            self.evidence(&["deprovision.auth"], &sent);
            match &sent.response {
                Ok(response)
                    if target.id == unknown.id
                        && !unauthorized.contains(&response.status)
                        && (400..500).contains(&response.status) =>
                {
                    self.book.fail_on(
                        "deprovision.auth",
                        format!(
                            "{} on {on}: answered {} instead of {}: the credentials were accepted, or the resource was looked up before they were checked (which tells strangers which ids exist)",
                            forgery.label,
                            response.status,
                            statuses(unauthorized)
                        ),
                        &sent.exchange,
                    )
                }
                _ => {
                    self.judge_probe("deprovision.auth", forgery, on, &sent);
                }
            }
        }
    }
}
