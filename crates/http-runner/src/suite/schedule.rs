//! The units of the suite and the scheduler that runs them side by side.

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;

use crate::needs::Need;
use crate::sso::SSO_CHECKS;

use super::*;

/// One unit of the suite: the checks it decides and what it needs to decide them. Every unit
/// also needs the provider to be reachable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scenario {
    /// The main resource, and everything about its answer.
    Provision,
    /// Provisions of further generated inputs (`--cases`).
    GeneratedProvisions,
    Replay,
    ConcurrentReplay,
    /// A second resource: distinct from the first, and the one crossed logins use.
    Distinct,
    UnknownPlan,
    ProvisionAuth,
    SsoLogin,
    /// Logins that must be refused.
    SsoRefusals,
    SsoTokenKinds,
    PlanChange,
    PlanChangeAuth,
    PlanChangeUnknownPlan,
    PlanChangeUnknownResource,
    DeprovisionAuth,
    Deprovision,
    Model,
}

impl Scenario {
    /// The order the suite runs them in at a concurrency of one, and merges what they record
    /// in at any: each after the units it waits for ([`Scenario::after`]), and the deprovision
    /// of the main resource after everything that uses it.
    pub(crate) const ORDER: [Scenario; 17] = [
        Scenario::Provision,
        Scenario::ConcurrentReplay,
        Scenario::GeneratedProvisions,
        Scenario::Replay,
        Scenario::Distinct,
        Scenario::UnknownPlan,
        Scenario::ProvisionAuth,
        Scenario::SsoLogin,
        Scenario::SsoRefusals,
        Scenario::SsoTokenKinds,
        Scenario::PlanChange,
        Scenario::PlanChangeAuth,
        Scenario::PlanChangeUnknownPlan,
        Scenario::PlanChangeUnknownResource,
        Scenario::DeprovisionAuth,
        Scenario::Deprovision,
        Scenario::Model,
    ];

    pub(crate) fn needs(self) -> &'static [Need] {
        match self {
            Scenario::Provision
            | Scenario::GeneratedProvisions
            | Scenario::UnknownPlan
            | Scenario::ProvisionAuth
            | Scenario::PlanChangeAuth
            | Scenario::PlanChangeUnknownResource
            | Scenario::DeprovisionAuth => &[],
            Scenario::Replay => &[Need::ResourceId, Need::Config],
            Scenario::ConcurrentReplay
            | Scenario::Distinct
            | Scenario::SsoLogin
            | Scenario::PlanChange
            | Scenario::PlanChangeUnknownPlan
            | Scenario::Deprovision
            | Scenario::Model => &[Need::ResourceId],
            Scenario::SsoRefusals | Scenario::SsoTokenKinds => {
                &[Need::ResourceId, Need::ValidLogin]
            }
        }
    }

    /// What it establishes for the scenarios after it.
    pub(crate) fn provides(self) -> &'static [Need] {
        match self {
            Scenario::Provision => &[Need::ResourceId, Need::Config],
            Scenario::SsoLogin => &[Need::ValidLogin],
            Scenario::Distinct => &[Need::SecondResource],
            _ => &[],
        }
    }

    /// The units it waits for, whether or not they establish what it needs: everything waits
    /// for the main provision (which alone finds out whether the provider can be reached, and
    /// times its answer alone) and the concurrent replay, and units that address the main resource keep their order
    /// wherever one of them may change it (a plan change; under a fault, a probe that was let
    /// through) while those that only read it run side by side. Each is earlier in
    /// [`Scenario::ORDER`], so running the units one at a time in that order meets every wait.
    pub(crate) fn after(self) -> &'static [Scenario] {
        match self {
            Scenario::Provision => &[],
            // Its copies want the provider to themselves: before anything else keeps it busy,
            // they cost one round trip, and nothing waits for requests in flight.
            Scenario::ConcurrentReplay => &[Scenario::Provision],
            Scenario::GeneratedProvisions
            | Scenario::Replay
            | Scenario::Distinct
            | Scenario::UnknownPlan
            | Scenario::ProvisionAuth
            | Scenario::SsoLogin
            | Scenario::Model => &[Scenario::ConcurrentReplay],
            // The crossed login uses the second resource.
            Scenario::SsoRefusals => &[Scenario::SsoLogin, Scenario::Distinct],
            Scenario::SsoTokenKinds => &[Scenario::SsoLogin],
            Scenario::PlanChange => &[
                Scenario::Replay,
                Scenario::SsoRefusals,
                Scenario::SsoTokenKinds,
            ],
            Scenario::PlanChangeAuth => &[Scenario::PlanChange],
            // It addresses no resource of the run's, but a plan change the provider is slow
            // to refuse would hold up the quiet one if it went first.
            Scenario::PlanChangeUnknownResource => &[Scenario::PlanChange],
            Scenario::PlanChangeUnknownPlan => &[Scenario::PlanChangeAuth],
            Scenario::DeprovisionAuth => &[Scenario::PlanChangeUnknownPlan],
            Scenario::Deprovision => &[Scenario::DeprovisionAuth],
        }
    }

    fn position(self) -> usize {
        Scenario::ORDER
            .iter()
            .position(|scenario| *scenario == self)
            .unwrap_or_default()
    }

    /// The stream of the seed its inputs are drawn from: its own, so that what it draws does
    /// not depend on when the units beside it draw. Streams below 16 belong to the rest of the
    /// engine.
    fn stream(self) -> u8 {
        16 + self.position() as u8
    }

    /// The checks it decides (others may get its evidence).
    pub(crate) fn checks(self) -> &'static [&'static str] {
        match self {
            Scenario::Provision => &[
                "provision.status",
                "provision.deadline",
                "provision.body",
                "provision.id",
                "provision.config.declared",
                "provision.config.complete",
                "provision.config.strings",
                "provision.config.prefix",
                "provision.config.urls",
                "provision.envs",
                "provision.log-drain",
                "provision.async",
                LIFECYCLE_RUN,
            ],
            Scenario::GeneratedProvisions => &["provision.status", "provision.idempotent"],
            Scenario::Replay => &["provision.idempotent"],
            Scenario::ConcurrentReplay => &["provision.idempotent.concurrent"],
            Scenario::Distinct => &["provision.distinct", "sso.rejects-other-resource"],
            Scenario::UnknownPlan => &["provision.unknown-plan"],
            Scenario::ProvisionAuth => &["provision.auth", "provision.auth-before-parse"],
            Scenario::SsoLogin => &["sso.login", "sso.nav-cookie", "sso.layout", "sso.html"],
            Scenario::SsoRefusals => &[
                "sso.rejects-bad-token",
                "sso.rejects-stale-timestamp",
                "sso.rejects-future-timestamp",
                "sso.rejects-other-resource",
            ],
            Scenario::SsoTokenKinds => &["sso.token-kinds"],
            Scenario::PlanChange => &[
                "plan-change.status",
                "plan-change.deadline",
                "plan-change.config",
                LIFECYCLE_RUN,
            ],
            Scenario::PlanChangeAuth => &["plan-change.auth", "plan-change.auth-before-parse"],
            Scenario::PlanChangeUnknownPlan => &["plan-change.unknown-plan"],
            Scenario::PlanChangeUnknownResource => &["plan-change.unknown-resource"],
            Scenario::DeprovisionAuth => &["deprovision.auth"],
            Scenario::Deprovision => &[
                "deprovision.status",
                "deprovision.deadline",
                "deprovision.repeat",
                "deprovision.effective",
                LIFECYCLE_RUN,
            ],
            Scenario::Model => &["lifecycle.model"],
        }
    }
}

impl<'a> Suite<'a> {
    /// Runs every scenario whose needs are met; the checks of a scenario whose needs are not
    /// met are skipped with the unmet need. A scenario starts once the units it waits for
    /// ([`Scenario::after`]) are done, beside whatever else is running, at most as many at once
    /// as the transport lets requests be in flight: at a concurrency of one they run one after
    /// another in [`Scenario::ORDER`]. Each runs on a fork of the suite, and what the forks
    /// record goes into the book in that order whatever order they finished in, so the report
    /// does not depend on the concurrency. Returns early, leaving checks unrecorded, when the
    /// provider cannot be reached at all.
    pub async fn run(&mut self) {
        if !self.sso_configured() {
            for id in SSO_CHECKS {
                self.book
                    .skip(id, "the manifest sets no SSO salt or SSO URL");
            }
            self.facts.login = Err(Unmet::new(
                "no single sign-on",
                "the manifest sets no SSO salt or SSO URL",
            ));
        }
        if let Some(id) = self.given_resource.clone() {
            self.adopt_given_resource(id);
        }
        const UNITS: usize = Scenario::ORDER.len();
        let mut started = [false; UNITS];
        let mut done = [false; UNITS];
        self.finished = std::iter::repeat_with(|| None).take(UNITS).collect();
        let mut merged = 0;
        let mut running = FuturesUnordered::new();
        let at_once = self.transport.concurrency();
        loop {
            for scenario in Scenario::ORDER {
                let at = scenario.position();
                if started[at]
                    || running.len() >= at_once
                    || !scenario.after().iter().all(|other| done[other.position()])
                {
                    continue;
                }
                started[at] = true;
                let mut fork = self.fork(scenario);
                let wanted = self.wanted(scenario) && !fork.skipped_for_given(scenario);
                if let Some(unmet) = self.facts.unmet(scenario.needs()).filter(|_| wanted) {
                    for id in scenario.checks() {
                        fork.book.skip(id, unmet.to_string());
                    }
                }
                if !wanted || self.facts.unmet(scenario.needs()).is_some() {
                    done[at] = true;
                    self.finished[at] = Some(fork.book);
                    continue;
                }
                running.push(async move {
                    fork.run_scenario(scenario).await;
                    (scenario, fork)
                });
            }
            let Some((scenario, fork)) = running.next().await else {
                break;
            };
            let at = scenario.position();
            done[at] = true;
            self.facts.settle(scenario.provides(), &fork.facts);
            self.unreachable |= fork.unreachable;
            self.finished[at] = Some(fork.book);
            // What the units record is applied as soon as every unit before them in the order
            // is done, so progress shows as the run goes.
            while merged < UNITS
                && let Some(book) = self.finished[merged].take()
            {
                self.book.merge(book);
                merged += 1;
            }
            if self.unreachable {
                return;
            }
        }
        self.merge_finished();
    }

    /// Applies what the units that are done recorded, in [`Scenario::ORDER`]: after a run that
    /// was cut short (interrupted, out of time), what the units still running had found is lost
    /// with them, but nothing that finished is.
    pub fn merge_finished(&mut self) {
        for book in std::mem::take(&mut self.finished).into_iter().flatten() {
            self.book.merge(book);
        }
    }

    /// A copy of the suite for one unit to run on beside others: the same run (transport,
    /// ledger record, redactor, facts so far), with a book of its own for the scheduler to
    /// merge and its own stream of inputs.
    fn fork(&self, scenario: Scenario) -> Suite<'a> {
        Suite {
            dialect: self.dialect,
            ctx: self.ctx.clone(),
            transport: self.transport.clone(),
            redactor: self.redactor.clone(),
            book: self.book.fork(),
            inputs: self.inputs.fork(scenario.stream()),
            ledger: self.ledger.clone(),
            callbacks: self.callbacks.clone(),
            browser: self.browser.clone(),
            sso_window: self.sso_window,
            legacy_sso: self.legacy_sso,
            async_wait: self.async_wait,
            plan: self.plan.clone(),
            plan_change_to: self.plan_change_to.clone(),
            cases: self.cases,
            given_resource: self.given_resource.clone(),
            given_uuid: self.given_uuid.clone(),
            unreachable: false,
            facts: self.facts.clone(),
            finished: Vec::new(),
        }
    }

    /// Whether a scenario is to run: some of its checks are selected, or it establishes what a
    /// scenario that is to run needs.
    fn wanted(&self, scenario: Scenario) -> bool {
        self.book.wants_any(scenario.checks())
            || Scenario::ORDER.into_iter().any(|other| {
                other
                    .needs()
                    .iter()
                    .any(|need| scenario.provides().contains(need))
                    && self.wanted(other)
            })
    }

    async fn run_scenario(&mut self, scenario: Scenario) {
        match scenario {
            Scenario::Provision => self.provision_main().await,
            Scenario::GeneratedProvisions => self.generated_provisions().await,
            Scenario::Replay => {
                if let Ok(resource) = self.facts.resource.clone() {
                    self.replay(&resource).await;
                }
            }
            Scenario::ConcurrentReplay => self.concurrent_replay().await,
            Scenario::Distinct => self.distinct().await,
            Scenario::UnknownPlan => self.provision_unknown_plan().await,
            Scenario::ProvisionAuth => self.provision_auth().await,
            Scenario::SsoLogin => self.sso_login().await,
            Scenario::SsoRefusals => self.sso_refusals().await,
            Scenario::SsoTokenKinds => self.sso_token_kinds().await,
            Scenario::PlanChange => self.plan_change().await,
            Scenario::PlanChangeAuth => self.plan_change_auth().await,
            Scenario::PlanChangeUnknownPlan => self.plan_change_unknown_plan().await,
            Scenario::PlanChangeUnknownResource => self.plan_change_unknown_resource().await,
            Scenario::DeprovisionAuth => self.deprovision_auth().await,
            Scenario::Deprovision => self.deprovision_main().await,
            Scenario::Model => self.lifecycle_model().await,
        }
    }

    /// Scenarios a resource given with `--resource` rules out (their checks are skipped with
    /// that reason when it is adopted), or leaves alone unless asked for.
    fn skipped_for_given(&mut self, scenario: Scenario) -> bool {
        if self.given_resource.is_none() {
            return false;
        }
        match scenario {
            Scenario::Provision
            | Scenario::GeneratedProvisions
            | Scenario::Replay
            | Scenario::ConcurrentReplay
            | Scenario::Distinct
            | Scenario::UnknownPlan
            | Scenario::ProvisionAuth
            | Scenario::Model => true,
            Scenario::Deprovision if !self.book.selection().asks_for("deprovision.status") => {
                for id in Scenario::Deprovision.checks() {
                    self.book.skip(
                        id,
                        "not run against a resource given with --resource unless selected with --only",
                    );
                }
                true
            }
            _ => false,
        }
    }

    /// Takes the resource named with `--resource` as the main one; what needs a provision of
    /// the run's own is skipped.
    fn adopt_given_resource(&mut self, id: String) {
        const GIVEN: &str = "a resource was given with --resource; nothing was provisioned";
        for scenario in [
            Scenario::Provision,
            Scenario::GeneratedProvisions,
            Scenario::Replay,
            Scenario::ConcurrentReplay,
            Scenario::Distinct,
            Scenario::UnknownPlan,
            Scenario::ProvisionAuth,
        ] {
            for check in scenario.checks() {
                if !check.starts_with("sso.") {
                    self.book.skip(check, GIVEN);
                }
            }
        }
        self.book.skip(
            LIFECYCLE_RUN,
            "a resource was given with --resource; the run provisions none to follow through",
        );
        self.book.skip(
            "lifecycle.model",
            "a resource was given with --resource; generated sequences provision their own",
        );
        let mut input = self.inputs.provision(&self.plan);
        // A made-up uuid would name another resource; an unknown one is sent as none.
        input.uuid = self.given_uuid.clone().unwrap_or_default();
        self.facts.resource = Ok(Resource {
            id,
            plan: self.plan.clone(),
            input,
            config: BTreeMap::new(),
        });
        self.facts.config = Err(Unmet::new("no config", GIVEN));
        self.facts.second = Err(Unmet::new("no second resource", GIVEN));
    }
}
