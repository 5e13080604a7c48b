//! Issue 11's consistent, scriptable command line: `--json` everywhere,
//! `--key -`, the key from the environment for `verify` and `url`, several
//! `--kind`s, playback URLs as tokens, `--backdate`, completions, and the
//! accepted duration forms.

use super::*;

const CODE: &str = "f33zs165nr7gyfy4";
const HOST: &str = "https://customer-f33zs165nr7gyfy4.cloudflarestream.com/";

pub(super) fn demo_json() -> String {
    std::fs::read_to_string(fixture("demo/demo.jwk.json")).unwrap()
}

#[test]
fn url_takes_several_kinds_and_mints_one_token_for_all() {
    let key = fixture("demo/demo.jwk.json");
    let args = [
        "url",
        "--key",
        &key,
        "--video",
        VIDEO,
        "--customer-code",
        CODE,
        "--kind",
        "hls",
        "--kind",
        "thumbnail",
        "--kind",
        "mp4",
        "--param",
        "time=8s",
        "--param",
        "filename=talk",
    ];
    let out = cli(&args).ok();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    let token = lines[0]
        .strip_prefix(HOST)
        .unwrap()
        .split_once('/')
        .unwrap()
        .0;
    assert_eq!(lines[0], format!("{HOST}{token}/manifest/video.m3u8"));
    assert_eq!(
        lines[1],
        format!("{HOST}{token}/thumbnails/thumbnail.jpg?time=8s")
    );
    assert_eq!(
        lines[2],
        format!("{HOST}{token}/downloads/default.mp4?filename=talk")
    );
    assert!(demo_verifier().verify(token).unwrap().downloadable());

    let mut json_args = args.to_vec();
    json_args.push("--json");
    let body = json_of(&cli(&json_args).ok());
    let token = body["hls"]
        .as_str()
        .unwrap()
        .strip_prefix(HOST)
        .unwrap()
        .split_once('/')
        .unwrap()
        .0;
    assert_eq!(
        body,
        json!({
            "hls": format!("{HOST}{token}/manifest/video.m3u8"),
            "thumbnail": format!("{HOST}{token}/thumbnails/thumbnail.jpg?time=8s"),
            "mp4": format!("{HOST}{token}/downloads/default.mp4?filename=talk"),
        })
    );

    // A parameter no kind takes, and a kind given twice: usage errors.
    let e = cli(&[
        "url",
        "--key",
        &key,
        "--video",
        VIDEO,
        "--customer-code",
        CODE,
        "--kind",
        "hls",
        "--kind",
        "dash",
        "--param",
        "fps=2",
    ])
    .fails(2);
    assert_eq!(e, r#"parameter "fps" is taken by none of --kind hls, dash"#);
    let e = cli(&[
        "url",
        "--key",
        &key,
        "--video",
        VIDEO,
        "--customer-code",
        CODE,
        "--kind",
        "hls",
        "--kind",
        "hls",
    ])
    .fails(2);
    assert_eq!(e, "--kind hls is given twice");
}

#[test]
fn url_and_verify_read_the_key_from_the_environment() {
    let url = cli(&[
        "url",
        "--video",
        VIDEO,
        "--customer-code",
        CODE,
        "--kind",
        "iframe",
    ])
    .env("CF_STREAM_SIGNING_KEY", &demo_json())
    .ok();
    let token = url
        .strip_prefix(HOST)
        .unwrap()
        .strip_suffix("/iframe")
        .unwrap()
        .to_owned();
    let out = cli(&["verify", &token])
        .env("CF_STREAM_SIGNING_KEY", &demo_json())
        .ok();
    assert_eq!(json_of(&out)["claims"]["sub"], VIDEO);
    // A whole playback URL is read as its token, on the command line and
    // on standard input.
    let out = cli(&["verify", "--json", &url])
        .env("CF_STREAM_SIGNING_KEY", &demo_json())
        .ok();
    assert_eq!(json_of(&out)["claims"]["kid"], DEMO_KID);
    let out = cli(&["verify", "-"])
        .env("CF_STREAM_SIGNING_KEY", &demo_json())
        .stdin(&format!("{url}\n"))
        .ok();
    assert_eq!(json_of(&out)["header"]["alg"], "RS256");
    let out = cli(&["inspect", "--json", &url]).ok();
    assert_eq!(json_of(&out)["claims"]["sub"], VIDEO);

    // No key anywhere.
    let e = cli(&["verify", &token]).fails(1);
    assert_eq!(
        e,
        "no key: give --key FILE or --keyring FILE, or set CF_STREAM_SIGNING_KEY or CF_STREAM_KEYRING"
    );
    // A path where the key belongs: the library's hint.
    let e = cli(&[
        "url",
        "--video",
        VIDEO,
        "--customer-code",
        CODE,
        "--kind",
        "hls",
    ])
    .env("CF_STREAM_SIGNING_KEY", "./stream-key.json")
    .fails(1);
    assert_eq!(
        e,
        "CF_STREAM_SIGNING_KEY: CF_STREAM_SIGNING_KEY looks like a path, not a key: use SigningKey::from_file, or `--key FILE` on the command line"
    );
    // A PEM without a key id names both ways to give one.
    let pem = std::fs::read_to_string(fixture("other/other_pkcs1.pem")).unwrap();
    let e = cli(&["mint", "--video", VIDEO])
        .env("CF_STREAM_SIGNING_KEY", &pem)
        .fails(1);
    assert_eq!(
        e,
        "CF_STREAM_SIGNING_KEY: this key form (PEM or DER) carries no key id; give one: CF_STREAM_KEY_ID, or `--key-id` on the command line"
    );
}

#[test]
fn key_dash_reads_the_key_from_standard_input() {
    let token = cli(&["mint", "--key", "-", "--video", VIDEO])
        .stdin(&demo_json())
        .ok();
    assert_eq!(demo_verifier().verify(&token).unwrap().video(), &video());
    let url = cli(&[
        "url",
        "--key",
        "-",
        "--video",
        VIDEO,
        "--customer-code",
        CODE,
        "--kind",
        "watch",
    ])
    .stdin(&demo_json())
    .ok();
    assert!(url.ends_with("/watch"), "{url}");
    let out = cli(&["verify", "--key", "-", &token])
        .stdin(&demo_json())
        .ok();
    assert_eq!(json_of(&out)["claims"]["sub"], VIDEO);
    let e = cli(&["verify", "--key", "-", "-"])
        .stdin(&demo_json())
        .fails(2);
    assert_eq!(e, "--key - and TOKEN - cannot both read standard input");
    let e = cli(&["mint", "--key", "-", "--video", VIDEO])
        .stdin("not a key")
        .fails(1);
    assert!(
        e.starts_with("key on standard input: input is not a key"),
        "{e}"
    );
}

#[test]
fn backdate_sets_a_relative_not_before() {
    let key = fixture("demo/demo.jwk.json");
    let before = now();
    let out = cli(&[
        "mint",
        "--key",
        &key,
        "--video",
        VIDEO,
        "--backdate",
        "90s",
        "--json",
    ])
    .ok();
    let after = now();
    let nbf = json_of(&out)["nbf"].as_i64().unwrap();
    assert!((before - 90..=after - 90).contains(&nbf), "{nbf}");
    let e = cli(&[
        "mint",
        "--key",
        &key,
        "--video",
        VIDEO,
        "--backdate",
        "1m",
        "--nbf",
        "5",
    ])
    .fails(2);
    assert!(e.contains("--backdate") && e.contains("--nbf"), "{e}");
    let e = cli(&["mint", "--key", &key, "--video", VIDEO, "--backdate", "0"]).fails(2);
    assert_eq!(
        e,
        "--backdate: not-before back-dating must be a positive whole number of seconds"
    );
}

#[test]
fn a_bad_ttl_lists_the_accepted_forms() {
    let key = fixture("demo/demo.jwk.json");
    let e = cli(&["mint", "--key", &key, "--video", VIDEO, "--ttl", "1.5h"]).fails(2);
    assert_eq!(
        e,
        "invalid value '1.5h' for '--ttl <DUR>': invalid duration \"1.5h\": expected whole seconds \
         (90) or whole numbers with the units h, m and s, largest first, each once (90s, 30m, 2h, \
         1h30m, 1m2s)"
    );
}

#[test]
fn completions_for_bash_zsh_and_fish() {
    let bash = cli(&["completions", "bash"]).ok();
    assert!(bash.contains("_cf__stream__token()"), "{bash:.200}");
    assert!(bash.contains("--backdate"));
    let zsh = cli(&["completions", "zsh"]).ok();
    assert!(zsh.starts_with("#compdef cf-stream-token"), "{zsh:.200}");
    let fish = cli(&["completions", "fish"]).ok();
    assert!(fish.contains("complete -c cf-stream-token"), "{fish:.200}");
    let e = cli(&["completions", "tcsh"]).fails(2);
    assert!(e.starts_with("invalid value 'tcsh' for '<SHELL>'"), "{e}");
}

#[test]
fn every_printing_command_takes_json() {
    let key = fixture("demo/demo.jwk.json");
    let token = cli(&["mint", "--key", &key, "--video", VIDEO]).ok();
    for args in [
        vec!["mint", "--key", &key, "--video", VIDEO, "--json"],
        vec![
            "url",
            "--key",
            &key,
            "--video",
            VIDEO,
            "--customer-code",
            CODE,
            "--kind",
            "hls",
            "--json",
        ],
        vec!["verify", "--key", &key, &token, "--json"],
        vec!["inspect", &token, "--json"],
    ] {
        json_of(&cli(&args).ok());
    }
    // keys and bench take it too (their runs are in their own files).
    for args in [
        ["keys", "list", "--json", "--help"],
        ["keys", "create", "--json", "--help"],
        ["keys", "delete", "--json", "--help"],
        ["token", "--json", "--help", ""],
    ] {
        let args: Vec<&str> = args.into_iter().filter(|a| !a.is_empty()).collect();
        assert!(cli(&args).ok().contains("--json"), "{args:?}");
    }
}
