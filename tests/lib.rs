//! Integration tests: one binary, one module per concern.

#[cfg(feature = "cache")]
mod cache;
mod common;
mod keys;
mod mint;
mod props;
mod secrets;
mod vectors;
mod verify;
