//! Integration tests: one binary, one module per concern.

mod common;
mod keys;
mod mint;
mod rules;
mod urls;
mod vectors;
mod verify;
