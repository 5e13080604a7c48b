//! Fuzz target `verifier`: see `fuzz/harness.rs` for what it feeds and asserts.
#![no_main]

#[path = "../harness.rs"]
#[allow(dead_code)]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::verifier(data));
