//! Provisions: the main resource and everything about its answer, replays (one at a time
//! and racing), a second resource, generated inputs, an unknown plan.

use std::collections::BTreeSet;

use manifest_core::dialect::ProvisionReply;

use crate::config::{self, ConfigRule};

use super::*;

impl<'a> Suite<'a> {
    /// Provisions the main resource and checks everything about the answer.
    pub(super) async fn provision_main(&mut self) {
        let input = self.inputs.provision(&self.plan);
        self.intend(&input).await;
        let request = self.dialect.provision(&self.ctx, &input);
        let sent = self.send_alone(request).await;
        self.evidence(PROVISION_CHECKS, &sent);
        self.book.evidence(LIFECYCLE_RUN, &sent.exchange);
        if matches!(sent.response, Err(TransportError::Connect(_))) {
            self.unreachable = true;
            self.ledger.never_sent(&input.uuid);
            return;
        }
        self.deadline("provision.deadline", &sent);
        let read = self.read_provisioned(&input, &sent, true).await;
        self.settle_provision(&input, &sent);
        match read {
            Ok((resource, config)) => {
                self.facts.resource = Ok(resource);
                self.facts.config = config;
            }
            Err(unmet) => {
                // An answer came (its evidence is there): what is missing is the resource it
                // should have named.
                for id in PROVISION_CHECKS.iter().chain(&["provision.async"]) {
                    self.book.skip(id, unmet.to_string());
                }
                self.book.fail(
                    LIFECYCLE_RUN,
                    format!("the resource's life could not start ({unmet})"),
                );
                self.facts.config = Err(Unmet::new("no config", unmet.because.clone()));
                self.facts.resource = Err(unmet);
            }
        }
    }

    /// Closes the ledger entry of a provision whose answer has been read: a refusal shows that
    /// nothing exists, no answer for want of a connection that nothing was sent. Anything else
    /// that named no resource stays pending, for the cleanup to replay.
    fn settle_provision(&mut self, input: &ProvisionInput, sent: &Sent) {
        match &sent.response {
            Ok(response) if response.is_client_error() => self.ledger.refused(&input.uuid),
            Err(TransportError::Connect(_) | TransportError::ForeignOrigin(_)) => {
                self.ledger.never_sent(&input.uuid)
            }
            _ => {}
        }
    }

    /// Reads a provision answer: `Ok` with the resource it names (tracked for cleanup) and
    /// whether its config is known, or the unmet need with the check that showed it. A faulty
    /// answer that still names a resource (another success status, a numeric id, no config) is
    /// reported and used.
    async fn read_provisioned(
        &mut self,
        input: &ProvisionInput,
        sent: &Sent,
        main: bool,
    ) -> Result<(Resource, Result<(), Unmet>), Unmet> {
        const NO_ID: &str = "no resource id";
        let ok = with_async(self.expectations().provision_ok, self.expectations());
        let response = match self.expect_status("provision.status", sent, &ok, "provision") {
            Some(response) => response.clone(),
            // Another success status is a fault of its own; the answer may still name one.
            None => match &sent.response {
                Ok(response) if response.is_success() => response.clone(),
                _ => {
                    self.track_answered(input, sent);
                    return Err(Unmet::failed(NO_ID, "provision.status"));
                }
            },
        };
        if main && Some(response.status) == self.expectations().provision_async {
            if self
                .callbacks
                .wait_provisioned(&input.uuid, self.async_wait)
                .await
            {
                self.book.pass("provision.async");
            } else {
                self.book.fail(
                    "provision.async",
                    format!(
                        "the provider answered {} but did not report the resource provisioned through the callback URL within {} s",
                        response.status,
                        self.async_wait.as_secs()
                    ),
                );
            }
        } else if main {
            self.book
                .skip("provision.async", "the provider answered synchronously");
        }
        let reply = match self.dialect.read_provision(input, &response) {
            Ok(reply) => {
                self.book.pass("provision.body");
                reply
            }
            Err(reason) => {
                self.book.fail("provision.body", reason);
                if main {
                    self.skip_config_checks(&Unmet::failed("no config", "provision.body"));
                }
                self.track_answered(input, sent);
                return Err(Unmet::failed(NO_ID, "provision.body"));
            }
        };
        if main {
            self.config_checks(&reply);
        }
        let id = match &reply.id {
            None => {
                self.book.fail("provision.id", "the answer has no `id`");
                None
            }
            Some(Err(reason)) => {
                self.book.fail("provision.id", reason.clone());
                None
            }
            Some(Ok(id)) => Some(id.clone()),
        };
        let Some(id) = id else {
            self.track_answered(input, sent);
            return Err(Unmet::failed(NO_ID, "provision.id"));
        };
        match self.expectations().id_max_len {
            Some(max) if id.chars().count() > max => self.book.fail(
                "provision.id",
                format!(
                    "the id is {} characters long; the platform stores at most {max}",
                    id.chars().count()
                ),
            ),
            _ => self.book.pass("provision.id"),
        }
        if let Some(doubt) = &reply.id_doubt {
            self.book.warn("provision.id", doubt.clone());
        }
        if let Some(broken) = &reply.id_broken_rule {
            self.book.fail("provision.id", broken.clone());
        }
        let resource = Resource {
            id,
            input: input.clone(),
            plan: input.plan.clone(),
            config: config_strings(&reply.config),
        };
        if !self.track(resource.clone()) {
            return Err(Unmet::failed(NO_ID, "provision.distinct"));
        }
        Ok((resource, Ok(())))
    }

    fn config_checks(&mut self, reply: &ProvisionReply) {
        let problems = config::config_problems(
            &self.ctx.manifest,
            self.ctx.environment,
            &reply.config,
            true,
        );
        for rule in ConfigRule::ALL {
            let id = rule.provision_check();
            let messages: Vec<&String> = problems
                .iter()
                .filter(|(r, _)| *r == rule)
                .map(|(_, m)| m)
                .collect();
            if messages.is_empty() {
                self.book.pass(id);
            } else {
                for message in messages {
                    self.book.fail(id, message.clone());
                }
            }
        }
        if self.ctx.manifest.log_drain {
            let problem = config::log_drain_problem(
                reply.log_drain_url.as_ref(),
                self.expectations().log_drain_schemes,
            );
            self.book.verdict("provision.log-drain", problem);
        } else {
            self.book.skip(
                "provision.log-drain",
                "the manifest does not ask for a log drain",
            );
        }
    }

    fn skip_config_checks(&mut self, unmet: &Unmet) {
        for rule in ConfigRule::ALL {
            self.book.skip(rule.provision_check(), unmet.to_string());
        }
        self.book.skip("provision.log-drain", unmet.to_string());
    }

    /// The provisions of generated inputs beyond the first (`--cases`), each replayed once.
    pub(super) async fn generated_provisions(&mut self) {
        for _ in 1..self.cases.max(1) {
            let input = self.inputs.provision(&self.plan);
            let sent = self.send_provision(&input).await;
            let read = self.read_provisioned(&input, &sent, false).await;
            self.settle_provision(&input, &sent);
            if let Ok((resource, _)) = read {
                if self.book.wants("provision.idempotent") {
                    self.replay(&resource).await;
                }
                self.deprovision_quietly(&resource).await;
            }
        }
    }

    pub(super) async fn replay(&mut self, original: &Resource) {
        let request = self.dialect.provision(&self.ctx, &original.input);
        let sent = self.send(request).await;
        self.evidence(&["provision.idempotent"], &sent);
        let replay_ok = with_async(self.expectations().provision_replay_ok, self.expectations());
        let Some(response) = self.expect_status(
            "provision.idempotent",
            &sent,
            &replay_ok,
            "replayed provision",
        ) else {
            if let Ok(response) = &sent.response {
                self.track_created(&original.input, response);
            }
            return;
        };
        let response = response.clone();
        let reply = match self.dialect.read_provision(&original.input, &response) {
            Ok(reply) => reply,
            Err(reason) => {
                self.book.fail(
                    "provision.idempotent",
                    format!("replayed provision: {reason}"),
                );
                return;
            }
        };
        match reply.id {
            Some(Ok(id)) if id == original.id => {
                let config = config_strings(&reply.config);
                if config != original.config {
                    let changed: Vec<&String> = original
                        .config
                        .keys()
                        .chain(config.keys())
                        .filter(|key| original.config.get(*key) != config.get(*key))
                        .collect::<BTreeSet<_>>()
                        .into_iter()
                        .collect();
                    self.book.fail(
                        "provision.idempotent",
                        format!(
                            "the replay returned different config for {}",
                            changed
                                .iter()
                                .map(|k| format!("`{k}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    );
                }
            }
            Some(Ok(id)) => {
                self.book.fail(
                    "provision.idempotent",
                    format!("the replay created another resource: `{}` then `{id}` for the same request", original.id),
                );
                self.track_created(&original.input, &response);
            }
            _ => self.book.fail(
                "provision.idempotent",
                "the replay's answer names no resource",
            ),
        }
    }

    pub(super) async fn concurrent_replay(&mut self) {
        let input = self.inputs.provision(&self.plan);
        self.intend(&input).await;
        let request = self.dialect.provision(&self.ctx, &input);
        let answers = self
            .transport
            .send_together(&request, CONCURRENT_REPLAYS)
            .await;
        let mut ids = BTreeSet::new();
        let mut failures = Vec::new();
        let mut answered = false;
        let mut refused_only = true;
        for (response, elapsed) in answers {
            let exchange = match &response {
                Ok(r) => self.redactor.exchange(&request, Ok(r), elapsed),
                Err(e) => self
                    .redactor
                    .exchange(&request, Err(&e.to_string()), elapsed),
            };
            self.book
                .evidence("provision.idempotent.concurrent", &exchange);
            answered |= response.is_ok();
            refused_only &= response.as_ref().is_ok_and(HttpResponse::is_client_error);
            match response {
                Ok(response) if response.is_success() => {
                    match self.track_created(&input, &response) {
                        Tracked::Own(id) => {
                            ids.insert(id);
                        }
                        Tracked::Collision => {}
                        Tracked::Unnamed => failures.push(format!(
                            "an answer named no resource ({})",
                            describe_response(&response)
                        )),
                    }
                }
                Ok(response) => failures.push(format!(
                    "one copy was answered {}",
                    describe_response(&response)
                )),
                Err(error) => failures.push(format!("one copy got no answer: {error}")),
            }
        }
        if ids.len() > 1 {
            failures.push(format!(
                "{CONCURRENT_REPLAYS} identical provisions sent at once created {} resources: {}",
                ids.len(),
                ids.iter()
                    .map(|id| format!("`{id}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        for failure in failures {
            self.book.fail("provision.idempotent.concurrent", failure);
        }
        self.book.pass("provision.idempotent.concurrent");
        if refused_only {
            self.ledger.refused(&input.uuid);
        } else if !answered {
            self.ledger.never_sent(&input.uuid);
        }
        // What the copies created is tracked and left to the final cleanup, which deletes
        // everything side by side: deleting it here would keep the provider busy while the
        // units that want it quiet are waiting.
    }

    /// Provisions a second resource: when it is really another one, it stays live as the
    /// second resource that crossed logins need (the final cleanup deletes it).
    pub(super) async fn distinct(&mut self) {
        let input = self.inputs.provision(&self.plan);
        let sent = self.send_provision(&input).await;
        self.evidence(&["provision.distinct"], &sent);
        let ok = with_async(self.expectations().provision_ok, self.expectations());
        // Another success status is provision.status's business; distinct judges the id.
        let answered = match &sent.response {
            Ok(response) if response.is_success() && !ok.contains(&response.status) => {
                self.book.evidence("provision.status", &sent.exchange);
                self.expect_status("provision.status", &sent, &ok, "second provision");
                Some(response.clone())
            }
            _ => self
                .expect_status("provision.distinct", &sent, &ok, "second provision")
                .cloned(),
        };
        let second = match answered {
            None => {
                self.track_answered(&input, &sent);
                Err(Unmet::failed("no second resource", "provision.distinct"))
            }
            Some(response) => match self.track_created(&input, &response) {
                Tracked::Own(id) => {
                    self.book.pass("provision.distinct");
                    self.ledger
                        .find(&id)
                        .ok_or_else(|| Unmet::failed("no second resource", "provision.distinct"))
                }
                // `track` has recorded the failure.
                Tracked::Collision => {
                    Err(Unmet::failed("no second resource", "provision.distinct"))
                }
                Tracked::Unnamed => {
                    self.book.fail(
                        "provision.distinct",
                        "the second provision's answer names no resource",
                    );
                    Err(Unmet::failed("no second resource", "provision.distinct"))
                }
            },
        };
        self.settle_provision(&input, &sent);
        self.facts.second = second;
    }

    pub(super) async fn provision_unknown_plan(&mut self) {
        let plan = self.inputs.unknown_plan();
        let input = self.inputs.provision(&plan);
        let sent = self.send_provision(&input).await;
        self.evidence(&["provision.unknown-plan"], &sent);
        self.refusal_with_message(
            "provision.unknown-plan",
            &sent,
            &format!("provision for plan `{plan}`"),
        );
        if let Ok(response) = &sent.response
            && let Tracked::Own(id) = self.track_created(&input, response)
            && let Some(resource) = self.ledger.find(&id)
        {
            self.deprovision_quietly(&resource).await;
        }
        self.settle_provision(&input, &sent);
    }
}
