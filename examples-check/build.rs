//! Turns every Rust block of README.md and docs/*.md into a module of
//! `$OUT_DIR/examples.rs`, wrapped as rustdoc wraps a doc test (a `main`
//! unless the block has one, returning the `Result` its last line names),
//! so that tests/examples.rs compiles them in this crate, which has no
//! dependency but cf-stream-token and what the guides list.
//!
//! The one change to the code: `include_str!`/`include_bytes!` paths, which
//! rustdoc resolves from the document's folder, are made absolute (the
//! generated file lives elsewhere). Paths read at run time resolve from the
//! repository root, where the tests run, as in the crate's doc tests.

#[path = "md.rs"]
mod md;

use std::fmt::Write as _;
use std::path::Path;
use std::{env, fs};

use md::Doctest;

fn main() {
    let root = md::repo_root();
    println!(
        "cargo::rerun-if-changed={}",
        root.join("README.md").display()
    );
    println!("cargo::rerun-if-changed={}", root.join("docs").display());
    println!("cargo::rerun-if-changed=md.rs");

    let mut out = String::new();
    let mut count = 0;
    for (path, text) in md::documents() {
        let dir = path.parent().expect("a document is in a folder");
        let doc = md::relative(&path);
        for block in md::blocks(&text) {
            let mode = block.doctest();
            if mode == Doctest::NotRust {
                continue;
            }
            count += 1;
            let name = format!(
                "{}_line_{}",
                doc.trim_end_matches(".md")
                    .replace(['/', '-', '.'], "_")
                    .to_lowercase(),
                block.line
            );
            let code = absolute_includes(&block.code(), dir);
            writeln!(out, "/// {doc}, the block at line {}.", block.line).unwrap();
            writeln!(
                out,
                "#[allow(unused, dead_code, clippy::all)]\nmod {name} {{"
            )
            .unwrap();
            out.push_str(&wrap(&code, mode));
            out.push_str("}\n\n");
        }
    }
    assert!(count > 0, "no Rust block found in README.md or docs/");
    let dest = Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("examples.rs");
    fs::write(dest, out).expect("OUT_DIR is writable");
}

/// The block as rustdoc would compile it: items as they are when it has a
/// `main`, else its lines as the body of one (returning the `Result` of its
/// last line, `Ok::<(), E>(())`), and a test that runs it unless it is
/// `no_run`.
fn wrap(code: &str, mode: Doctest) -> String {
    let mut out = String::new();
    let has_main = code.contains("fn main(");
    let call = if has_main {
        out.push_str(code);
        if code.contains("fn main() ->") {
            "main().unwrap()"
        } else {
            "main()"
        }
    } else {
        let last = code
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .trim();
        let result = last
            .strip_prefix("Ok::<(), ")
            .and_then(|r| r.strip_suffix(">(())").or_else(|| r.strip_suffix(">(());")));
        match result {
            Some(error) => {
                writeln!(
                    out,
                    "pub(super) fn main() -> Result<(), {error}> {{\n{code}}}"
                )
                .unwrap();
                "main().unwrap()"
            }
            None => {
                writeln!(out, "pub(super) fn main() {{\n{code}}}").unwrap();
                "main()"
            }
        }
    };
    if mode == Doctest::Run {
        writeln!(
            out,
            "#[test]\nfn runs() {{\n    crate::at_repo_root();\n    {call};\n}}"
        )
        .unwrap();
    }
    out
}

/// `include_str!("REL")` with REL made absolute from the document's folder.
fn absolute_includes(code: &str, dir: &Path) -> String {
    let mut out = code.to_owned();
    for mac in ["include_str!(\"", "include_bytes!(\""] {
        let mut done = String::new();
        let mut rest = out.as_str();
        while let Some(at) = rest.find(mac) {
            let start = at + mac.len();
            let end = start + rest[start..].find('"').expect("an include path is closed");
            let rel = &rest[start..end];
            let abs = dir.join(rel);
            assert!(
                abs.exists(),
                "{} (included by an example) does not exist",
                abs.display()
            );
            done.push_str(&rest[..start]);
            done.push_str(&abs.to_string_lossy().replace('\\', "/"));
            rest = &rest[end..];
        }
        done.push_str(rest);
        out = done;
    }
    out
}
