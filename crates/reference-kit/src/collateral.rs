//! What a fault breaks besides the checks it targets. The conformance matrix fails when a fault
//! makes any other check fail: a fault listed here breaks these too by its nature, not by a bug
//! in the engine.

use crate::fault::Fault;

impl Fault {
    /// Checks this fault also makes fail or warn, unavoidably.
    pub fn collateral(&self) -> &'static [&'static str] {
        match self {
            // The forged deprovision really deletes: the real one then finds nothing, and the
            // resource's life does not end as the platform ends it.
            Fault::AcceptsPasswordPrefix
            | Fault::AcceptsCaseInsensitivePassword
            | Fault::AcceptsTruncatedPassword
            | Fault::AcceptsEmptyPassword
            | Fault::AcceptsEmptyUser
            | Fault::IgnoresFieldsAfterPassword
            | Fault::AcceptsBasicWithoutColon
            | Fault::DeprovisionSkipsAuth => &["deprovision.status", "lifecycle.run"],
            // Credentials never refused cannot be refused before the body is read either.
            Fault::AcceptsWrongPassword => &["provision.auth-before-parse"],
            Fault::PlanChangeSkipsAuth => &["plan-change.auth-before-parse"],
            // An answer that names no usable resource leaves nothing to follow through.
            Fault::ProvisionHtmlBody | Fault::ProvisionWithoutId | Fault::EmptyId => {
                &["lifecycle.run"]
            }
            // The deprovision answer itself is wrong, so the life does not end cleanly.
            Fault::DeprovisionBody => &["lifecycle.run"],
            // Every plan change fails, the ones that should be refused included.
            Fault::PlanChangeFails => &[
                "plan-change.unknown-plan",
                "plan-change.unknown-resource",
                "deprovision.effective",
            ],
            // Where the platform has no soft deadline the run's deadline cuts the slow answer
            // off, so the operation itself fails too.
            Fault::ProvisionSlow => &["provision.status", "lifecycle.run"],
            Fault::PlanChangeSlow => &[
                "plan-change.status",
                "plan-change.unknown-plan",
                "plan-change.unknown-resource",
                "deprovision.effective",
                "lifecycle.run",
            ],
            Fault::DeprovisionSlow => &["deprovision.status", "lifecycle.run"],
            // The badly named var is declared but, being invalid, never returned.
            Fault::ManifestBadConfigVar => &["provision.config.complete"],
            // A prefix-less var is also undeclared: the manifest declares prefixed names.
            Fault::ConfigWithoutPrefix => {
                &["provision.config.declared", "provision.config.complete"]
            }
            // Each concurrent copy is a replay too, and gets its own resource.
            Fault::NewIdOnReplay => &["provision.idempotent.concurrent"],
            // A provider that accepts any id also accepts the deleted one.
            Fault::PlanChangeInventsResource => &["deprovision.effective"],
            // Any token opens any dashboard, the other resource's included.
            Fault::SsoAcceptsAnyToken => &["sso.rejects-other-resource"],
            // Ignoring the timestamp ignores it in both directions.
            Fault::SsoIgnoresTimestamp => &["sso.rejects-future-timestamp"],
            _ => &[],
        }
    }

    /// Faults after which resources stay on the add-on whatever the engine does: deletes that
    /// do not delete, or that never finish within the run's deadline.
    pub fn leaves_resources(&self) -> bool {
        matches!(
            self,
            Fault::DeprovisionKeepsResource | Fault::DeprovisionSlow
        )
    }

    /// Faults that answer late: a run against them must set a deadline the delay overshoots.
    pub fn is_slow(&self) -> bool {
        matches!(
            self,
            Fault::ProvisionSlow | Fault::PlanChangeSlow | Fault::DeprovisionSlow
        )
    }
}
