//! Integration tests: one binary, one module per concern.

#[cfg(feature = "cache")]
mod cache;
mod common;
mod fuzz_regressions;
mod keys;
mod mint;
mod props;
mod vectors;
mod verify;
