//! `--help`, `--version` and the usage errors of every subcommand.

use super::*;

const SUBCOMMANDS: [&[&str]; 10] = [
    &[],
    &["mint"],
    &["url"],
    &["verify"],
    &["inspect"],
    &["keys"],
    &["keys", "create"],
    &["keys", "list"],
    &["keys", "delete"],
    &["token"],
];

#[test]
fn every_subcommand_has_help_with_an_example_and_no_secret() {
    for sub in SUBCOMMANDS.iter().copied().chain([&["bench"][..]]) {
        let mut args = sub.to_vec();
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
