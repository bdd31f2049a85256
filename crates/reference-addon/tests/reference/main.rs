//! The reference add-on over real loopback HTTP: correct by default, wrong in exactly the
//! advertised way with each fault.

mod bitrise;
mod catalog;
mod faults;
mod heroku;
mod modes;
mod scalingo;
mod support;
