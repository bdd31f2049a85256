//! One module per command. Each returns the process exit code, or a [`crate::CliError`].

pub mod catalog;
pub mod init;
pub mod ledger;
pub mod load;
pub mod manifest;
pub mod operations;
pub mod replay;
pub mod run;
pub mod selftest;
pub mod serve;
pub mod sso;
pub mod test;
