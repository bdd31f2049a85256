//! The platform-neutral heart of addon-conformance.
//!
//! * [`model`]: what a manifest says, whatever platform wrote it.
//! * [`dialect`]: the [`Dialect`] trait through which a platform answers the engine's questions.
//! * [`http`]: requests and responses as plain data, so dialects build them without a client.
//! * [`capability`]: the optional parts of a protocol a dialect declares, which decide the
//!   checks that apply to it.
//! * [`catalog`]: every check with its id, level, needs, source and explanation.
//! * [`report`]: the results; their serde form is the JSON report (`addon-conform/report/v1`).
//! * [`diagnostics`] and [`spanned`]: manifest problems that point at `file:line:column`.
//! * [`json_values`], [`names`], [`urls`] and [`reply`]: what dialects read and check alike
//!   (loosely typed values; slugs, variable names and "did you mean"; the URLs a platform calls;
//!   JSON provision answers).

pub mod capability;
pub mod catalog;
pub mod diagnostics;
pub mod dialect;
pub mod exit;
pub mod http;
pub mod json_values;
pub mod model;
pub mod names;
pub mod reply;
pub mod report;
pub mod secret;
pub mod spanned;
pub mod token;
pub mod urls;

pub use capability::Capability;
pub use catalog::{CheckDef, CheckId, Level, RuleSource};
pub use diagnostics::{Diagnostic, Diagnostics, Severity, Span};
pub use dialect::{
    Ctx, Dialect, Expectations, ProvisionInput, ProvisionReply, Recognition, Resource, SsoLogin,
    SsoRefusal,
};
pub use model::{
    Credentials, Endpoints, Environment, Forgery, Manifest, Plan, Platform, SsoTransport,
};
pub use report::{CheckResult, Exchange, Report, Status};
pub use secret::Secret;
pub use spanned::{JsonDocument, Source};
