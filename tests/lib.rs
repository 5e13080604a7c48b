//! Integration tests: one binary, one module per concern.

mod accessors;
mod boundaries;
#[cfg(feature = "cache")]
mod cache;
mod common;
mod conformance;
mod fresh_keys;
mod fuzz_regressions;
mod hardening;
mod keyring;
mod keys;
mod messages;
mod mint;
mod props;
mod reload;
mod rules;
mod secrets;
mod serde_forms;
mod source;
mod urls;
mod vectors;
mod verify;

// Feature "api": the Cloudflare API client and the fallback minter, against
// real HTTP servers on 127.0.0.1.
#[cfg(feature = "api")]
mod api;
#[cfg(feature = "api")]
mod fallback;

// examples/axum_playback.rs, and a small app written here against the
// public API, on 127.0.0.1 (reqwest, from feature "api", asks them).
#[cfg(all(feature = "api", feature = "axum"))]
mod axum_example;
#[cfg(all(feature = "api", feature = "axum"))]
mod web;

// Feature "emulator": the local Stream, through the crate's client and raw HTTP.
#[cfg(feature = "emulator")]
mod emulator;

// Feature "tracing": what the crate reports, through a capturing subscriber,
// over the API client and the emulator, the fallback, the cache and a
// reloading keyring.
#[cfg(all(feature = "tracing", feature = "emulator"))]
mod telemetry;

// The fleet proof: the emulator, reloading instances on a Kubernetes-style
// Secret directory, and the command line's rotations as processes.
#[cfg(all(feature = "cli", unix))]
mod fleet;

// Feature "cli": the command line, run as a process.
#[cfg(feature = "cli")]
mod cli;
