//! Bytes as a provision answer (status, headers, body), through every dialect's readers.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| addon_conform::fuzzing::provision_answer(data));
