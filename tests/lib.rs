//! Integration tests: one binary, one module per concern.

#[cfg(feature = "cache")]
mod cache;
mod common;
mod keys;
mod mint;
mod props;
mod rules;
mod secrets;
mod urls;
mod vectors;
mod verify;
