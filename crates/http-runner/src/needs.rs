//! What each scenario needs before it can decide its checks, and what the run has shown so far.
//!
//! Scenarios are units with declared needs, not a chain: each runs whenever its own needs are
//! met, whatever happened to the others, and a check that cannot run is skipped with the unmet
//! need and the check that showed it ("no resource id: provision.id failed"). Nothing in a
//! unit depends on another unit's verdicts, only on the [`Facts`] it declares, so the scheduler
//! (`suite.rs`) runs units side by side once the facts they need are settled.

use std::fmt;

use manifest_core::Resource;

/// A precondition of a scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Need {
    /// A resource the provider handed out (or one given with `--resource`).
    ResourceId,
    /// The config the provider answered that resource with.
    Config,
    /// A valid single sign-on login that opens the dashboard.
    ValidLogin,
    /// A second resource of the run's own.
    SecondResource,
}

/// Why a need is not met, as shown on every check skipped for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unmet {
    /// What is missing ("no resource id").
    pub missing: &'static str,
    /// What showed it: usually a check that failed ("provision.id failed").
    pub because: String,
}

impl Unmet {
    pub fn new(missing: &'static str, because: impl Into<String>) -> Self {
        Self {
            missing,
            because: because.into(),
        }
    }

    /// The need is unmet because `check` failed.
    pub fn failed(missing: &'static str, check: &str) -> Self {
        Self::new(missing, format!("{check} failed"))
    }
}

impl fmt::Display for Unmet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.missing, self.because)
    }
}

/// What the run has established so far: each fact is either known or why it is not.
#[derive(Debug, Clone)]
pub(crate) struct Facts {
    /// The main resource.
    pub resource: Result<Resource, Unmet>,
    /// Whether the main resource's config is the provider's answer.
    pub config: Result<(), Unmet>,
    /// A second resource of the run's own, for logins that cross resources.
    pub second: Result<Resource, Unmet>,
    /// Whether a valid login opened the dashboard.
    pub login: Result<(), Unmet>,
}

impl Default for Facts {
    fn default() -> Self {
        let not_yet = |missing| Unmet::new(missing, "not established yet");
        Self {
            resource: Err(not_yet("no resource id")),
            config: Err(not_yet("no config")),
            second: Err(not_yet("no second resource")),
            login: Err(not_yet("no working login")),
        }
    }
}

impl Facts {
    /// The first of `needs` that is not met.
    pub fn unmet(&self, needs: &[Need]) -> Option<&Unmet> {
        needs.iter().find_map(|need| match need {
            Need::ResourceId => self.resource.as_ref().err(),
            Need::Config => self.config.as_ref().err(),
            Need::ValidLogin => self.login.as_ref().err(),
            Need::SecondResource => self.second.as_ref().err(),
        })
    }

    /// Takes over from `other` what it established for `needs`.
    pub fn settle(&mut self, needs: &[Need], other: &Facts) {
        for need in needs {
            match need {
                Need::ResourceId => self.resource = other.resource.clone(),
                Need::Config => self.config = other.config.clone(),
                Need::ValidLogin => self.login = other.login.clone(),
                Need::SecondResource => self.second = other.second.clone(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_unmet_need_is_named_with_what_showed_it() {
        let mut facts = Facts {
            resource: Err(Unmet::failed("no resource id", "provision.id")),
            ..Facts::default()
        };
        assert_eq!(
            facts
                .unmet(&[Need::ResourceId, Need::ValidLogin])
                .map(ToString::to_string),
            Some("no resource id: provision.id failed".to_string())
        );
        facts.login = Ok(());
        assert_eq!(facts.unmet(&[Need::ValidLogin]), None);
    }
}
