//! Correct but unusual designs the reference add-on can be switched into. Unlike a
//! [`crate::Fault`], a mode breaks no rule: real providers are built this way, so a run against
//! the add-on in any mode must come out clean, bar the warnings [`Mode::warns`] names (a
//! `should` rule of our own that the design bends on purpose).

use std::fmt;

/// A correct design the reference add-on can follow instead of its default one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mode {
    /// Resources are numbered, and the provision answer gives the id as a JSON number.
    NumericIds,
    /// A replay is answered with the very answer the first provision got (idempotency-key
    /// caching), whatever happened to the resource since.
    CachedReplay,
    /// A plan change moves the resource to another cluster with new credentials, and a replay
    /// is answered with the resource as it stands now: every config var differs from the first
    /// answer's once the plan changed.
    CurrentStateReplay,
    /// A login the add-on does not let in is sent to its sign-in page by a redirect that opens
    /// no session, instead of being answered with a 4xx.
    RedirectRefusal,
}

impl Mode {
    /// Every mode, in the order the conformance matrix lists them.
    pub const ALL: [Mode; 4] = [
        Mode::NumericIds,
        Mode::CachedReplay,
        Mode::CurrentStateReplay,
        Mode::RedirectRefusal,
    ];

    /// The kebab-case name used in the matrix.
    pub fn name(&self) -> &'static str {
        match self {
            Mode::NumericIds => "numeric-ids",
            Mode::CachedReplay => "cached-replay",
            Mode::CurrentStateReplay => "current-state-replay",
            Mode::RedirectRefusal => "redirect-refusal",
        }
    }

    /// The design, and why it is correct.
    pub fn description(&self) -> &'static str {
        match self {
            Mode::NumericIds => {
                "resources are numbered and the provision answer gives the id as a JSON number, \
                 which older Heroku documents show and Heroku's own tester accepts: only \
                 provision.id warns"
            }
            Mode::CachedReplay => {
                "a replayed provision is answered with the stored first answer (status and body), \
                 as an idempotency-key cache does, even after a plan change"
            }
            Mode::CurrentStateReplay => {
                "a plan change hands out a new URL and a new token, and a replayed provision is \
                 answered with the config the resource has now"
            }
            Mode::RedirectRefusal => {
                "a login that is not let in is redirected to the add-on's sign-in page without a \
                 session, which Scalingo counts as a refusal"
            }
        }
    }

    /// The checks a run against this design warns about (and must: the warning is the rule the
    /// design bends); every other check passes or is skipped.
    pub fn warns(&self) -> &'static [&'static str] {
        match self {
            Mode::NumericIds => &["provision.id"],
            Mode::CachedReplay | Mode::CurrentStateReplay | Mode::RedirectRefusal => &[],
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
