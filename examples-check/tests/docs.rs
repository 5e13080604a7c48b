//! What README.md and docs/*.md say about the repository holds: every file
//! they cite exists, the README's features table lists every feature and
//! dependency of Cargo.toml, every crate an example uses is in a
//! `Cargo.toml` snippet of the same document, and one version is quoted.

#[path = "../md.rs"]
mod md;

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

/// The repository's top-level folders: a backticked `folder/...` in the
/// prose of a document names a file of the repository.
const REPO_FOLDERS: &[&str] = &[
    ".ci", ".cargo", "benches", "docs", "examples", "fixtures", "fuzz", "scripts", "src", "tests",
];

/// Does `target`, cited by the document at `doc`, exist (relative to the
/// document's folder, or to the repository root)?
fn exists(doc: &Path, target: &str) -> bool {
    let target = target.split('#').next().unwrap_or("");
    target.is_empty()
        || doc.parent().expect("in a folder").join(target).exists()
        || md::repo_root().join(target).exists()
}

/// The target of every Markdown link `[text](target)` that is not a URL.
fn local_links(prose: &str) -> Vec<String> {
    let mut links = Vec::new();
    let mut rest = prose;
    while let Some(at) = rest.find("](") {
        let start = at + 2;
        let Some(len) = rest[start..].find(')') else {
            break;
        };
        let target = &rest[start..start + len];
        if !target.contains("://") && !target.starts_with("mailto:") {
            links.push(target.to_owned());
        }
        rest = &rest[start + len..];
    }
    links
}

/// Every `NAME.md` word of the text (a file name, perhaps with a folder).
fn md_names(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/')))
        .map(|w| w.trim_start_matches(['.', '/']).trim_end_matches('.'))
        .filter(|w| w.ends_with(".md") && w.len() > 3)
        .map(str::to_owned)
        .collect()
}

/// Backticked spans of the prose.
fn code_spans(prose: &str) -> Vec<String> {
    prose
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_cited_file_exists() {
    let mut missing = Vec::new();
    for (path, text) in md::documents() {
        let doc = md::relative(&path);
        let prose = md::prose(&text);
        for link in local_links(&prose) {
            if !exists(&path, &link) {
                missing.push(format!("{doc}: link to {link}"));
            }
        }
        // Code blocks too: a snippet may name a guide (`see PROTOCOL.md`).
        for name in md_names(&text) {
            if !exists(&path, &name) {
                missing.push(format!("{doc}: {name}"));
            }
        }
        for span in code_spans(&prose) {
            let first = span.split('/').next().unwrap_or("");
            let path_like = span.contains('/')
                && !span.contains(char::is_whitespace)
                && REPO_FOLDERS.contains(&first);
            if path_like && !exists(&path, &span) {
                missing.push(format!("{doc}: `{span}`"));
            }
        }
    }
    missing.dedup();
    assert!(
        missing.is_empty(),
        "cited but not in the repository: {missing:#?}"
    );
}

#[test]
fn the_cited_file_check_sees_a_missing_file() {
    let readme = md::repo_root().join("README.md");
    assert!(!exists(&readme, "PROTOCOL.md"));
    assert!(exists(&readme, "docs/rotation.md#the-runbook"));
    assert_eq!(
        md_names("as recorded in `PROTOCOL.md` §4."),
        ["PROTOCOL.md"]
    );
    assert_eq!(
        local_links("see [x](docs/a.md) and [y](https://e.org/b.md)"),
        ["docs/a.md"]
    );
}

/// The `[dependencies]` of Cargo.toml (every target), with whether each is
/// optional, and the `[features]` names.
fn manifest() -> (Vec<(String, bool)>, Vec<String>) {
    let text = fs::read_to_string(md::repo_root().join("Cargo.toml")).expect("Cargo.toml");
    let mut deps = Vec::new();
    let mut features = Vec::new();
    let mut section = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            section = line.to_owned();
            continue;
        }
        if line.starts_with('#') || !line.contains('=') {
            continue;
        }
        let name = line.split('=').next().unwrap_or("").trim().to_owned();
        if section == "[dependencies]"
            || (section.starts_with("[target.") && section.ends_with(".dependencies]"))
        {
            deps.push((name, line.contains("optional = true")));
        } else if section == "[features]" && name != "default" {
            features.push(name);
        }
    }
    (deps, features)
}

#[test]
fn the_features_table_lists_every_feature_and_dependency() {
    let readme = fs::read_to_string(md::repo_root().join("README.md")).expect("README.md");
    let rows: Vec<&str> = readme
        .lines()
        .skip_while(|l| *l != "## Crate features")
        .skip_while(|l| !l.starts_with("| *(none, default)*"))
        .take_while(|l| l.starts_with('|'))
        .collect();
    assert!(rows.len() > 1, "the README has no features table");
    let (deps, features) = manifest();
    assert!(
        deps.len() > 10 && !features.is_empty(),
        "Cargo.toml read wrong: {deps:?}"
    );
    for feature in &features {
        assert!(
            rows.iter()
                .any(|r| r.starts_with(&format!("| `{feature}` |"))),
            "feature `{feature}` has no row in the README's features table"
        );
    }
    for (dep, optional) in &deps {
        let named = |row: &&str| row.contains(&format!("`{dep}`"));
        if *optional {
            assert!(
                rows[1..].iter().any(named),
                "optional dependency `{dep}` is in no feature's row"
            );
        } else {
            assert!(
                named(&rows[0]),
                "default dependency `{dep}` is missing from the default row"
            );
        }
    }
}

/// The crates a snippet names at the start of a path (`tokio::main`,
/// `reqwest::Client`), leaving out std, this crate, and names the snippet
/// binds itself (`use ...::api;` then `api::Client`).
fn crates_used(code: &str) -> BTreeSet<String> {
    const NOT_CRATES: &[&str] = &[
        "std",
        "core",
        "alloc",
        "crate",
        "self",
        "super",
        "cf_stream_token",
        "u8",
        "u16",
        "u32",
        "u64",
        "u128",
        "usize",
        "i8",
        "i16",
        "i32",
        "i64",
        "i128",
        "isize",
        "f32",
        "f64",
        "str",
        "bool",
        "char",
    ];
    let mut bound = BTreeSet::new();
    for line in code.lines() {
        let line = line.trim();
        if let Some(rest) = line
            .strip_prefix("use ")
            .or_else(|| line.strip_prefix("mod "))
        {
            for word in rest.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
                bound.insert(word.to_owned());
            }
        }
    }
    let mut used = BTreeSet::new();
    let bytes = code.as_bytes();
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut i = 0;
    while i < bytes.len() {
        if ident(bytes[i]) && (i == 0 || !(ident(bytes[i - 1]) || bytes[i - 1] == b':')) {
            let start = i;
            while i < bytes.len() && ident(bytes[i]) {
                i += 1;
            }
            let word = &code[start..i];
            let starts_lower = word.starts_with(|c: char| c.is_ascii_lowercase());
            if code[i..].starts_with("::")
                && starts_lower
                && !NOT_CRATES.contains(&word)
                && !bound.contains(word)
            {
                used.insert(word.to_owned());
            }
        } else {
            i += 1;
        }
    }
    // The crates a `use` names first, too (`use tokio::time;`).
    for line in code.lines() {
        if let Some(rest) = line.trim().strip_prefix("use ") {
            let first = rest
                .split("::")
                .next()
                .unwrap_or("")
                .trim_start_matches("::");
            if !NOT_CRATES.contains(&first) && rest.contains("::") {
                used.insert(first.to_owned());
            }
        }
    }
    used
}

/// The dependency names of a `Cargo.toml` snippet, as Rust names them.
fn toml_dependencies(toml: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut in_deps = false;
    for line in toml.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_deps = line.ends_with("dependencies]");
        } else if in_deps && line.contains('=') {
            names.insert(
                line.split('=')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .replace('-', "_"),
            );
        }
    }
    names
}

#[test]
fn every_crate_an_example_uses_is_in_a_snippet_of_its_document() {
    let mut unlisted = Vec::new();
    for (path, text) in md::documents() {
        let blocks = md::blocks(&text);
        let listed: BTreeSet<String> = blocks
            .iter()
            .filter(|b| b.info == "toml")
            .flat_map(|b| toml_dependencies(&b.text))
            .collect();
        for block in blocks
            .iter()
            .filter(|b| b.doctest() != md::Doctest::NotRust)
        {
            for krate in crates_used(&block.code()) {
                if !listed.contains(&krate) {
                    let doc = md::relative(&path);
                    unlisted.push(format!("{doc} line {}: {krate}", block.line));
                }
            }
        }
    }
    assert!(
        unlisted.is_empty(),
        "used by an example, in no Cargo.toml snippet: {unlisted:#?}"
    );
}

#[test]
fn the_crate_finder_sees_paths_and_uses() {
    let code = "use std::time::Duration;\nuse cf_stream_token::api;\n#[tokio::main]\n\
                async fn main() { let c = reqwest::Client::new(); api::Client::x(); u16::MAX; }";
    let found: Vec<String> = crates_used(code).into_iter().collect();
    assert_eq!(found, ["reqwest", "tokio"]);
    assert_eq!(crates_used("use time::macros::datetime;").len(), 1);
    let toml = "[dev-dependencies]\ncf-stream-token = \"0.2\"\ntokio = { version = \"1\" }\n";
    let names: Vec<String> = toml_dependencies(toml).into_iter().collect();
    assert_eq!(names, ["cf_stream_token", "tokio"]);
}

#[test]
fn every_snippet_quotes_the_crate_version() {
    let manifest = fs::read_to_string(md::repo_root().join("Cargo.toml")).expect("Cargo.toml");
    let version = manifest
        .lines()
        .find_map(|l| l.strip_prefix("version = \""))
        .and_then(|v| v.strip_suffix('"'))
        .expect("Cargo.toml has a version");
    let minor: String = version.split('.').take(2).collect::<Vec<_>>().join(".");
    let mut wrong = Vec::new();
    for (path, text) in md::documents() {
        for block in md::blocks(&text).iter().filter(|b| b.info == "toml") {
            for line in block
                .text
                .lines()
                .filter(|l| l.starts_with("cf-stream-token"))
            {
                if !line.contains(&format!("\"{minor}\"")) {
                    wrong.push(format!("{}: {line}", md::relative(&path)));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "snippets not on version {minor}: {wrong:#?}"
    );
}
