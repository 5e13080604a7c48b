//! The Markdown this crate reads: the repository's README.md and docs/*.md,
//! their fenced code blocks, and what rustdoc makes of a Rust block. Shared
//! by build.rs (which turns the Rust blocks into test code) and the tests.

#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};

/// One fenced code block.
#[derive(Debug)]
pub struct Block {
    /// The info string after the opening fence (`rust,no_run`, `toml`, ``).
    pub info: String,
    /// The 1-based line of the opening fence.
    pub line: usize,
    /// The lines between the fences, as written.
    pub text: String,
}

/// How rustdoc treats a block: not Rust, compiled only, or compiled and run.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum Doctest {
    NotRust,
    CompileOnly,
    Run,
}

impl Block {
    /// rustdoc's reading of the info string: an empty one is Rust;
    /// `ignore` and `compile_fail` blocks are not meant to build.
    pub fn doctest(&self) -> Doctest {
        let tokens: Vec<&str> = self
            .info
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|t| !t.is_empty())
            .collect();
        let rust = tokens.first().is_none_or(|t| *t == "rust")
            || tokens.iter().all(|t| {
                matches!(*t, "no_run" | "should_panic" | "ignore" | "compile_fail")
                    || t.starts_with("edition")
            });
        if !rust
            || tokens
                .iter()
                .any(|t| matches!(*t, "ignore" | "compile_fail"))
        {
            Doctest::NotRust
        } else if tokens.contains(&"no_run") {
            Doctest::CompileOnly
        } else {
            Doctest::Run
        }
    }

    /// The code as it compiles: rustdoc's hidden lines (`# ...`) shown,
    /// `##` unescaped.
    pub fn code(&self) -> String {
        let mut out = String::new();
        for line in self.text.lines() {
            let trimmed = line.trim_start();
            let indent = &line[..line.len() - trimmed.len()];
            if trimmed == "#" {
                out.push('\n');
                continue;
            } else if let Some(rest) = trimmed.strip_prefix("# ") {
                out.push_str(indent);
                out.push_str(rest);
            } else if let Some(rest) = trimmed.strip_prefix("##") {
                out.push_str(indent);
                out.push('#');
                out.push_str(rest);
            } else {
                out.push_str(line);
            }
            out.push('\n');
        }
        out
    }
}

/// The fenced blocks of a document (fences of three or more backticks, at
/// any indentation).
pub fn blocks(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<(usize, String, String, usize)> = None; // fence len, info, text, line
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let ticks = trimmed.chars().take_while(|&c| c == '`').count();
        match &mut open {
            None if ticks >= 3 => {
                open = Some((
                    ticks,
                    trimmed[ticks..].trim().to_owned(),
                    String::new(),
                    i + 1,
                ));
            }
            None => {}
            Some((fence, _, _, _)) if ticks >= *fence && trimmed[ticks..].trim().is_empty() => {
                let (_, info, text, line) = open.take().expect("a block is open");
                blocks.push(Block { info, line, text });
            }
            Some((_, _, text, _)) => {
                text.push_str(line);
                text.push('\n');
            }
        }
    }
    assert!(open.is_none(), "a code block is never closed");
    blocks
}

/// The text outside code blocks, with each code block's lines blanked (so
/// line numbers stay right).
pub fn prose(text: &str) -> String {
    let mut out = String::new();
    let mut fence: Option<usize> = None;
    for line in text.lines() {
        let trimmed = line.trim_start();
        let ticks = trimmed.chars().take_while(|&c| c == '`').count();
        match fence {
            None if ticks >= 3 => fence = Some(ticks),
            None => out.push_str(line),
            Some(f) if ticks >= f && trimmed[ticks..].trim().is_empty() => fence = None,
            Some(_) => {}
        }
        out.push('\n');
    }
    out
}

/// The repository root (this crate's parent directory).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("examples-check lives inside the repository")
        .to_path_buf()
}

/// README.md and every docs/*.md, in a stable order, with their text.
pub fn documents() -> Vec<(PathBuf, String)> {
    let root = repo_root();
    let mut paths = vec![root.join("README.md")];
    let mut guides: Vec<PathBuf> = fs::read_dir(root.join("docs"))
        .expect("docs/ is readable")
        .map(|e| e.expect("a docs/ entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    guides.sort();
    paths.extend(guides);
    paths
        .into_iter()
        .map(|p| {
            let text = fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p, text)
        })
        .collect()
}

/// `docs/api.md` for a document of the repository.
pub fn relative(path: &Path) -> String {
    path.strip_prefix(repo_root())
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}
