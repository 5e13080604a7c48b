//! Fuzz target `cli_parsers`: the command line's `--rule`, `--ttl`,
//! `--param` and `--kind` parsers, from the binary's own source file; see
//! `fuzz_one` there for what is asserted. The binary's unit tests replay
//! `fuzz/regressions/cli_parsers/`.
#![no_main]

#[path = "../../src/bin/cf-stream-token/parse.rs"]
#[allow(dead_code)]
mod parse;

libfuzzer_sys::fuzz_target!(|data: &[u8]| parse::fuzz_one(data));
