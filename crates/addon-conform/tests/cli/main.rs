//! End-to-end tests of the `addon-conform` binary: one test binary, a small harness, and one
//! module per kind of command.

mod bitrise;
mod catalog;
mod harness;
mod heroku;
mod ledger;
mod load;
mod manifests;
mod reference;
mod replay;
mod run;
mod scalingo;
mod scalingo_tester;
mod selftest;
mod sso;
