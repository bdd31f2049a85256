//! Deprovisions: of the main resource and what must hold afterwards, and the final cleanup.

use manifest_core::report::Leftover;

use super::*;

impl<'a> Suite<'a> {
    pub(super) async fn deprovision_main(&mut self) {
        let Some(resource) = self.main_resource() else {
            return;
        };
        let resource = &resource;
        let request = self.dialect.deprovision(&self.ctx, resource);
        let sent = self.send_alone(request).await;
        self.evidence(
            &["deprovision.status", "deprovision.deadline", LIFECYCLE_RUN],
            &sent,
        );
        self.deadline("deprovision.deadline", &sent);
        let ok = self.expectations().deprovision_ok;
        match self
            .expect_status("deprovision.status", &sent, ok, "deprovision")
            .cloned()
        {
            Some(response) => {
                self.untrack(&resource.id);
                self.book.pass(LIFECYCLE_RUN);
                self.deprovision_body(&response);
            }
            None => {
                self.book
                    .fail(LIFECYCLE_RUN, "the resource could not be deprovisioned");
                if let Ok(response) = &sent.response
                    && matches!(response.status, 404 | 410)
                {
                    // Already gone: nothing is left to clean up.
                    self.untrack(&resource.id);
                }
            }
        }
        // A repeat and a plan change afterwards mean something whatever the deprovision
        // answered, as long as it was answered.
        if sent.response.is_err() {
            let unmet = Unmet::failed("no answered deprovision", "deprovision.status");
            for id in ["deprovision.repeat", "deprovision.effective"] {
                self.book.skip(id, unmet.to_string());
            }
            return;
        }
        self.deprovision_after(resource).await;
    }

    fn deprovision_body(&mut self, response: &HttpResponse) {
        if self.expectations().deprovision_empty_body
            && !response.body.iter().all(u8::is_ascii_whitespace)
        {
            self.book.fail(
                "deprovision.status",
                format!(
                    "the platform expects an empty body, got {}",
                    describe_response(response)
                ),
            );
        }
    }

    async fn deprovision_after(&mut self, resource: &Resource) {
        if self.book.wants("deprovision.repeat") {
            let request = self.dialect.deprovision(&self.ctx, resource);
            let sent = self.send(request).await;
            self.evidence(&["deprovision.repeat"], &sent);
            let repeat_ok = self.expectations().deprovision_repeat_ok;
            self.expect_status(
                "deprovision.repeat",
                &sent,
                repeat_ok,
                "repeated deprovision",
            );
        }
        if self.book.wants("deprovision.effective") {
            let request =
                self.dialect
                    .change_plan(&self.ctx, resource, &self.plan_change_to.clone());
            let sent = self.send(request).await;
            self.evidence(&["deprovision.effective"], &sent);
            self.expect_client_error(
                "deprovision.effective",
                &sent,
                "plan change after deprovision",
            );
        }
    }

    /// Deletes a resource the scenarios no longer need; failures are left to the final cleanup.
    pub(crate) async fn deprovision_quietly(&mut self, resource: &Resource) {
        let request = self.dialect.deprovision(&self.ctx, resource);
        if let Ok(response) = self.transport.send(&request).await
            && (response.is_success() || matches!(response.status, 404 | 410))
        {
            self.untrack(&resource.id);
        }
    }
}

/// Deletes everything the run created: first replays provisions whose answer was never read
/// (provisioning is idempotent, so this only reveals their ids), then deprovisions every live
/// resource, each step's requests side by side. Returns what could not be deleted; it stays in
/// the ledger for `ledger cleanup`.
pub async fn cleanup(
    dialect: &dyn Dialect,
    ctx: &Ctx,
    transport: &Transport,
    record: &mut RunRecord,
) -> Vec<Leftover> {
    let pending = record.pending();
    let replays = pending.iter().map(|input| async move {
        let request = dialect.provision(ctx, input);
        transport.send(&request).await
    });
    let answers = futures_util::future::join_all(replays).await;
    for (input, answer) in pending.into_iter().zip(answers) {
        // No answer to the replay says nothing about the original: it stays pending.
        let Ok(response) = answer else {
            continue;
        };
        if let Some(id) = crate::ops::answered_id(dialect, &input, &response) {
            record.record(Resource {
                id,
                plan: input.plan.clone(),
                input: input.clone(),
                config: BTreeMap::new(),
            });
        }
        record.settle(&input.uuid, true);
    }
    let live = record.live();
    let deletions = live.iter().map(|resource| async move {
        let request = dialect.deprovision(ctx, resource);
        transport.send(&request).await
    });
    let answers = futures_util::future::join_all(deletions).await;
    let mut leftovers = Vec::new();
    for (resource, answer) in live.into_iter().zip(answers) {
        let reason = match answer {
            Ok(response) if response.is_success() || matches!(response.status, 404 | 410) => {
                record.remove(&resource.id);
                continue;
            }
            Ok(response) => format!("deprovision answered {}", describe_response(&response)),
            Err(error) => format!("deprovision failed: {error}"),
        };
        leftovers.push(Leftover {
            id: resource.id,
            reason,
        });
    }
    leftovers
}
