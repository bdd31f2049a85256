//! Plan changes: of the main resource, to a plan nobody offers, of a resource nobody has.

use crate::config;

use super::*;

impl<'a> Suite<'a> {
    pub(super) async fn plan_change(&mut self) {
        let Some(resource) = self.main_resource() else {
            return;
        };
        let resource = &resource;
        let target = self.plan_change_to.clone();
        {
            let request = self.dialect.change_plan(&self.ctx, resource, &target);
            let sent = self.send_alone(request).await;
            self.evidence(
                &[
                    "plan-change.status",
                    "plan-change.deadline",
                    "plan-change.config",
                    LIFECYCLE_RUN,
                ],
                &sent,
            );
            self.deadline("plan-change.deadline", &sent);
            let ok = self.expectations().plan_change_ok;
            if !matches!(&sent.response, Ok(response) if ok.contains(&response.status)) {
                self.book.fail(
                    LIFECYCLE_RUN,
                    format!("the resource could not be changed to plan `{target}`"),
                );
            }
            if let Some(response) = self
                .expect_status(
                    "plan-change.status",
                    &sent,
                    ok,
                    &format!("change to plan `{target}`"),
                )
                .cloned()
            {
                let config = self.dialect.plan_change_config(&response);
                if config.is_empty() {
                    self.book
                        .skip("plan-change.config", "the plan change returned no config");
                } else {
                    let problems = config::config_problems(
                        &self.ctx.manifest,
                        self.ctx.environment,
                        &config,
                        false,
                    );
                    for (_, message) in &problems {
                        self.book.fail("plan-change.config", message.clone());
                    }
                    self.book.pass("plan-change.config");
                }
            } else {
                self.book
                    .skip("plan-change.config", "the plan change did not succeed");
            }
        }
    }

    pub(super) async fn plan_change_unknown_plan(&mut self) {
        let Some(resource) = self.main_resource() else {
            return;
        };
        let resource = &resource;
        {
            let plan = self.inputs.unknown_plan();
            let request = self.dialect.change_plan(&self.ctx, resource, &plan);
            let sent = self.send(request).await;
            self.evidence(&["plan-change.unknown-plan"], &sent);
            self.refusal_with_message(
                "plan-change.unknown-plan",
                &sent,
                &format!("change to plan `{plan}`"),
            );
        }
    }

    pub(super) async fn plan_change_unknown_resource(&mut self) {
        let target = self.plan_change_to.clone();
        {
            let unknown = match &self.facts.resource {
                Ok(resource) => Resource {
                    id: self.inputs.unknown_id(),
                    ..resource.clone()
                },
                Err(_) => self.made_up_resource(),
            };
            let request = self.dialect.change_plan(&self.ctx, &unknown, &target);
            let sent = self.send(request).await;
            self.evidence(&["plan-change.unknown-resource"], &sent);
            self.expect_client_error(
                "plan-change.unknown-resource",
                &sent,
                &format!("plan change for unknown id `{}`", unknown.id),
            );
        }
    }
}
