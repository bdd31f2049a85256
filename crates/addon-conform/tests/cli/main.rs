//! End-to-end tests of the `addon-conform` binary: one test binary, a small harness, and one
//! module per kind of command.

mod action;
mod baseline;
mod bitrise;
mod catalog;
mod docs;
mod existing;
mod fuzz_corpus;
mod harness;
mod heroku;
mod hostile;
mod ledger;
mod load;
mod manifests;
mod progress;
mod reference;
mod replay;
mod run;
mod scalingo;
mod scalingo_tester;
mod selftest;
mod server;
mod sso;
mod usage;
