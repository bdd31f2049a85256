//! Bytes as a manifest file, through every dialect's loader and rules.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| addon_conform::fuzzing::manifest(data));
