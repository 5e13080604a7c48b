//! Integration tests: one binary, one module per concern.

#[cfg(feature = "cache")]
mod cache;
mod common;
mod fresh_keys;
mod fuzz_regressions;
mod hardening;
mod keyring;
mod keys;
mod mint;
mod props;
mod rules;
mod secrets;
mod urls;
mod vectors;
mod verify;

// Feature "api": the Cloudflare API client and the fallback minter, against
// real HTTP servers on 127.0.0.1.
#[cfg(feature = "api")]
mod api;
#[cfg(feature = "api")]
mod fallback;

// examples/axum_playback.rs on 127.0.0.1 (reqwest, from feature "api", asks it).
#[cfg(feature = "api")]
mod axum_example;

// Feature "emulator": the local Stream, through the crate's client and raw HTTP.
#[cfg(feature = "emulator")]
mod emulator;

// Feature "cli": the command line, run as a process.
#[cfg(feature = "cli")]
mod cli;
