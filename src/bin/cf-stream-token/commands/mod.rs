//! One module per command, as cargo's `src/bin/cargo/commands/`: each holds
//! its arguments, its after-help text and its `run`. Commands import the
//! shared modules (`args`, `input`, `key_source`, `secret`, `api`), never
//! one another.

pub(crate) mod bench;
pub(crate) mod completions;
pub(crate) mod emulate;
pub(crate) mod inspect;
pub(crate) mod keys;
pub(crate) mod mint;
pub(crate) mod rules;
pub(crate) mod token;
pub(crate) mod url;
pub(crate) mod verify;
