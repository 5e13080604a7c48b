//! Every Rust example of README.md and docs/*.md, as build.rs extracted it:
//! each compiles here (in a crate without `time`), and each that its
//! document does not mark `no_run` runs.

use std::sync::Once;

/// The examples read files from the repository root at run time, as the
/// crate's doc tests do.
fn at_repo_root() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        std::env::set_current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
            .expect("the repository root exists");
    });
}

include!(concat!(env!("OUT_DIR"), "/examples.rs"));
