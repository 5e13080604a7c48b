//! The one place the system clock is read (see `clippy.toml`).

use time::OffsetDateTime;

/// Now, from the system clock. Everything else in the crate takes the time
/// as a parameter so that it can be tested at fixed instants.
#[allow(clippy::disallowed_methods)]
pub(crate) fn system_now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}
