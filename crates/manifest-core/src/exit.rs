//! Process exit codes: a contract that scripts rely on (see DESIGN.md).

/// Every check passed (warnings allowed).
pub const PASSED: i32 = 0;
/// At least one check failed.
pub const FAILED: i32 = 1;
/// A usage error, or a manifest that cannot be read.
pub const USAGE: i32 = 2;
/// The provider could not be reached at all.
pub const UNREACHABLE: i32 = 3;
