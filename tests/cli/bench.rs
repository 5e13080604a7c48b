//! `bench`: the signing benchmark from the command line.

use super::scripting::demo_json;
use super::*;

#[test]
fn bench_json_with_two_threads() {
    let out = cli(&["bench", "--seconds", "1", "--threads", "2", "--json"]).ok();
    let v = json_of(&out);
    let tokens = v["tokens_per_sec"].as_f64().unwrap();
    let raw = v["raw_sign_per_sec"].as_f64().unwrap();
    let ratio = v["ratio"].as_f64().unwrap();
    assert!(tokens > 0.0 && raw > 0.0, "{out}");
    assert!((ratio - tokens / raw).abs() < 1e-9, "{out}");
    assert_eq!(v["threads"], json!(2));
    assert_eq!(v["seconds"], json!(1));
    assert!(
        out.starts_with(r#"{"tokens_per_sec":"#),
        "members in the documented order: {out}"
    );
}

#[test]
fn bench_text_with_a_key_file() {
    let out = cli(&[
        "bench",
        "--seconds",
        "1",
        "--key",
        &fixture("other/other_pkcs1.pem"),
        "--key-id",
        OTHER_KID,
    ])
    .ok();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        format!("key:              {OTHER_KID} (--key), 2048 bits")
    );
    assert_eq!(lines[1], "threads:          1");
    assert_eq!(lines[2], "seconds:          1");
    assert!(lines[3].starts_with("tokens/s:         "), "{out}");
    assert!(lines[4].starts_with("raw signatures/s: "), "{out}");
    assert!(lines[5].starts_with("ratio:            "), "{out}");
}

#[test]
fn bench_refusals() {
    assert_eq!(
        cli(&["bench", "--seconds", "0"]).fails(2),
        "invalid value '0' for '--seconds <N>': 0 is not in 1..=3600"
    );
    assert_eq!(
        cli(&["bench", "--threads", "0"]).fails(2),
        "invalid value '0' for '--threads <T>': 0 is not in 1..=256"
    );
    assert_eq!(
        cli(&["bench", "--key-id", DEMO_KID]).fails(2),
        "--key-id names the key of --key FILE or CF_STREAM_SIGNING_KEY, and neither is given \
         (bench uses its built-in demo key then)"
    );
    assert_eq!(
        cli(&["bench", "--key", "missing.pem"]).fails(1),
        "key file \"missing.pem\": No such file or directory (os error 2)"
    );
}

/// `bench` finds its key as `mint` does, through the one key-source
/// resolver: the environment's key, `--key -` on standard input (bounded
/// as a key file is), and a keyring refused with the reason.
#[test]
fn bench_takes_its_key_as_mint_does() {
    let pem = std::fs::read_to_string(fixture("other/other_pkcs1.pem")).unwrap();
    let out = cli(&["bench", "--seconds", "1"])
        .env("CF_STREAM_SIGNING_KEY", &pem)
        .env("CF_STREAM_KEY_ID", OTHER_KID)
        .ok();
    assert_eq!(
        out.lines().next().unwrap(),
        format!("key:              {OTHER_KID} (CF_STREAM_SIGNING_KEY), 2048 bits")
    );
    // The environment's PEM without a key id: the resolver's own message.
    assert_eq!(
        cli(&["bench", "--seconds", "1"])
            .env("CF_STREAM_SIGNING_KEY", &pem)
            .fails(1),
        "CF_STREAM_SIGNING_KEY: this key form (PEM or DER) carries no key id; give one with \
         the key (CF_STREAM_KEY_ID beside CF_STREAM_SIGNING_KEY); or pass --key-id"
    );
    let out = cli(&["bench", "--seconds", "1", "--key", "-"])
        .stdin(&demo_json())
        .ok();
    assert_eq!(
        out.lines().next().unwrap(),
        format!("key:              {DEMO_KID} (--key), 2048 bits")
    );
    let no_ring = "bench compares minting with a bare RS256 signature by the same key, and a \
                   keyring does not hand out its keys: give --key FILE (a key of the ring), or \
                   unset CF_STREAM_KEYRING to use the built-in demo key";
    assert_eq!(cli(&["bench", "--keyring", "ring.json"]).fails(2), no_ring);
    // So its help does not offer --keyring, which mint's (the same key
    // group) does.
    assert!(!cli(&["bench", "--help"]).ok().contains("--keyring <FILE>"));
    assert!(cli(&["mint", "--help"]).ok().contains("--keyring <FILE>"));
    let ring = cf_stream_token::Keyring::start_at(at(NOW), &demo_json()).unwrap();
    let doc = ring.secret_document().unwrap();
    assert_eq!(
        cli(&["bench", "--seconds", "1"])
            .env("CF_STREAM_KEYRING", &doc)
            .fails(2),
        no_ring
    );
}

/// `--key -` reads at most 1 MiB through the library's bounded reader, for
/// every command that takes a key: over it is refused, never cut.
#[test]
fn a_key_on_standard_input_over_1_mib_is_refused() {
    const MIB: usize = 1 << 20;
    let over = format!("{}{}", demo_json(), " ".repeat(MIB));
    let token = minted_now(&TokenOptions::default());
    for args in [
        &["bench", "--seconds", "1", "--key", "-"][..],
        &["mint", "--key", "-", "--video", VIDEO],
        &["verify", "--key", "-", &token],
    ] {
        assert_eq!(
            cli(args).stdin(&over).fails(1),
            "standard input is larger than 1 MiB: not a key",
            "{args:?}"
        );
    }
    // Exactly 1 MiB, trailing whitespace and all, is still a key.
    let json = demo_json();
    let exact = format!("{json}{}", " ".repeat(MIB - json.len()));
    assert_eq!(exact.len(), MIB);
    let minted = cli(&["mint", "--key", "-", "--video", VIDEO])
        .stdin(&exact)
        .ok();
    demo_verifier().verify(&minted).unwrap();
}
