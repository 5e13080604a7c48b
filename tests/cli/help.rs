//! `--help`, `--version` and the usage errors of every subcommand.

use super::*;

/// The commands clap knows, read from `--help` as a user sees them: the
/// names under `Commands:` (less `help`), each walked into in turn. Every
/// command is listed, a group (`keys`) before its own.
fn commands() -> Vec<Vec<String>> {
    fn walk(path: &[String], out: &mut Vec<Vec<String>>) {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let help = cli(&args).ok();
        let names: Vec<String> = help
            .lines()
            .skip_while(|l| *l != "Commands:")
            .skip(1)
            .take_while(|l| !l.is_empty())
            .filter_map(|l| l.strip_prefix("  "))
            .filter(|l| !l.starts_with(' '))
            .filter_map(|l| l.split_whitespace().next())
            .filter(|name| *name != "help")
            .map(str::to_owned)
            .collect();
        for name in names {
            let mut sub = path.to_vec();
            sub.push(name);
            out.push(sub.clone());
            walk(&sub, out);
        }
    }
    let mut out = Vec::new();
    walk(&[], &mut out);
    out
}

/// The commands that run something: those without commands of their own.
fn leaf_commands() -> Vec<String> {
    let all = commands();
    all.iter()
        .filter(|c| !all.iter().any(|d| d.len() > c.len() && d.starts_with(c)))
        .map(|c| c.join(" "))
        .collect()
}

#[test]
fn the_command_walk_finds_every_command() {
    // The walk itself must see what is known to be there, or the tests
    // built on it would pass on nothing.
    let leaves = leaf_commands();
    for known in [
        "mint",
        "url",
        "verify",
        "inspect",
        "token",
        "bench",
        "emulate",
        "completions",
        "keys create",
        "keys rotate",
        "keys policy",
    ] {
        assert!(leaves.iter().any(|l| l == known), "{known} in {leaves:?}");
    }
    assert!(!leaves.iter().any(|l| l == "keys"), "a group is no leaf");
    assert!(!leaves.iter().any(|l| l.ends_with("help")), "{leaves:?}");
}

#[test]
fn every_subcommand_has_help_with_an_example_and_no_secret() {
    let mut paths = commands();
    paths.insert(0, Vec::new());
    for sub in paths {
        let mut args: Vec<&str> = sub.iter().map(String::as_str).collect();
        args.push("--help");
        let help = cli(&args)
            .env("CF_STREAM_SIGNING_KEY", "secret-key-contents-4c1d")
            .env("CF_STREAM_KEY_ID", "kid-from-env-9e2a")
            .env("CLOUDFLARE_API_TOKEN", "secret-api-token-77aa")
            .env("CLOUDFLARE_API_KEY", "secret-global-key-5b0c")
            .env("CLOUDFLARE_EMAIL", "ops@example.com")
            .env("CLOUDFLARE_ACCOUNT_ID", "account-from-env-31f0")
            .ok();
        assert!(help.contains("Example"), "{args:?}: {help}");
        for secret in [
            "secret-key-contents-4c1d",
            "kid-from-env-9e2a",
            "secret-api-token-77aa",
            "secret-global-key-5b0c",
            "account-from-env-31f0",
        ] {
            assert!(!help.contains(secret), "{args:?} shows {secret}");
        }
    }
    let top = cli(&["--help"]).ok();
    for line in ["0  success", "1  failure", "2  usage"] {
        assert!(top.contains(line), "{top}");
    }
}

/// `keys --help` lists every `keys` command, the keyring ones included, and
/// shows a rotation among its examples.
#[test]
fn keys_help_lists_every_keys_command() {
    let help = cli(&["keys", "--help"]).ok();
    let listed: Vec<&str> = help
        .lines()
        .skip_while(|l| *l != "Commands:")
        .skip(1)
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(
        listed,
        [
            "create",
            "list",
            "delete",
            "rotate",
            "promote",
            "retire",
            "revoke",
            "reconcile",
            "adopt",
            "policy",
            "help"
        ]
    );
    for example in [
        "keys rotate --keyring",
        "keys promote --keyring",
        "keys retire --keyring",
    ] {
        assert!(help.contains(example), "{example}: {help}");
    }
}

/// The rows of the command table in `docs/cli.md`: the command in the
/// first cell (in backticks), and the description.
fn documented_commands() -> Vec<(String, String)> {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/cli.md"),
    )
    .unwrap();
    let table: Vec<&str> = doc
        .lines()
        .skip_while(|l| *l != "| command | what it does |")
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .collect();
    assert!(!table.is_empty(), "docs/cli.md has no command table");
    table
        .iter()
        .map(|row| {
            let cells: Vec<&str> = row.trim_matches('|').splitn(2, " | ").collect();
            let command = cells[0].trim();
            let name = command
                .strip_prefix('`')
                .and_then(|c| c.strip_suffix('`'))
                .unwrap_or_else(|| panic!("not a `command` cell: {row}"));
            (name.to_owned(), cells[1].trim().to_owned())
        })
        .collect()
}

/// `docs/cli.md`'s table lists every command clap knows, and no command
/// that does not exist unless it says it is planned: the table cannot
/// drift from the command line.
#[test]
fn docs_cli_md_lists_every_command() {
    let known = leaf_commands();
    let documented = documented_commands();
    for command in &known {
        assert!(
            documented.iter().any(|(name, _)| name == command),
            "`{command}` is missing from docs/cli.md's command table"
        );
    }
    for (name, what) in &documented {
        assert!(
            known.contains(name) || what.starts_with("*planned:*"),
            "docs/cli.md lists `{name}`, which is no command (and not marked *planned:*)"
        );
    }
    let planned: Vec<&str> = documented
        .iter()
        .filter(|(_, what)| what.starts_with("*planned:*"))
        .map(|(name, _)| name.as_str())
        .collect();
    // Once a planned command exists, its row says what it does instead.
    for name in &planned {
        assert!(
            !known.iter().any(|k| k == name),
            "`{name}` exists now: drop *planned:* from its row in docs/cli.md"
        );
    }
}

#[test]
fn version() {
    assert_eq!(
        cli(&["--version"]).ok(),
        concat!("cf-stream-token ", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn usage_errors_exit_2_on_one_line() {
    assert_eq!(
        cli(&[]).fails(2),
        "'cf-stream-token' requires a subcommand: mint, url, verify, inspect, keys, rules, token, bench, emulate, completions"
    );
    assert_eq!(
        cli(&["keys"]).fails(2),
        "'cf-stream-token keys' requires a subcommand: create, list, delete, rotate, promote, retire, revoke, reconcile, adopt, policy"
    );
    assert_eq!(
        cli(&["frobnicate"]).fails(2),
        "unrecognized subcommand 'frobnicate'"
    );
    assert_eq!(
        cli(&["mint", "--key", "k.json"]).fails(2),
        "the following required arguments were not provided: --video <UID>"
    );
    assert_eq!(
        cli(&["mint", "--video", "not-a-video"]).fails(2),
        "invalid value 'not-a-video' for '--video <UID>': invalid video id: expected 32 hexadecimal characters"
    );
    assert_eq!(
        cli(&["mint", "--video", VIDEO, "--colour"]).fails(2),
        "unexpected argument '--colour' found"
    );
    // A token where none belongs is not echoed.
    let token = text("golden/minimal.jwt");
    let msg = cli(&["inspect", token.trim(), "extra"]).fails(2);
    assert_eq!(msg, "unexpected argument 'extra' found");
    let msg = cli(&["inspect", "a", token.trim()]).fails(2);
    assert!(msg.contains("characters, not shown"), "{msg}");
}
