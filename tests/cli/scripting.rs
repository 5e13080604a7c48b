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
            "expires_at": body["expires_at"],
        })
    );
    // When the token expires, in RFC 3339.
    let exp = demo_verifier().verify(token).unwrap().expires_at();
    assert_eq!(
        body["expires_at"],
        exp.format(&cf_stream_token::time::format_description::well_known::Rfc3339)
            .unwrap()
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
    assert!(bash.contains("_cf_stream_token()"), "{bash:.200}");
    assert!(
        bash.ends_with("-o bashdefault -o default cf-stream-token\nfi"),
        "registered for the command's real name: {bash}"
    );
    assert!(bash.contains("--backdate"));
    let zsh = cli(&["completions", "zsh"]).ok();
    assert!(zsh.starts_with("#compdef cf-stream-token"), "{zsh:.200}");
    let fish = cli(&["completions", "fish"]).ok();
    assert!(fish.contains("complete -c cf-stream-token"), "{fish:.200}");
    let e = cli(&["completions", "tcsh"]).fails(2);
    assert!(e.starts_with("invalid value 'tcsh' for '<SHELL>'"), "{e}");
}

/// What the bash script `completions bash` prints offers for the words of
/// a command line, the last one being completed: the script is sourced in
/// a real `bash --norc`, the function it registered for `cf-stream-token`
/// (as `complete -p` reports it) is run as bash runs it on TAB, and its
/// candidates are returned sorted.
#[cfg(unix)]
fn bash_completes(script: &Path, words: &[&str]) -> Vec<String> {
    const DRIVER: &str = r#"
source "$1" || exit 3
spec=$(complete -p cf-stream-token) || exit 4
fn=${spec#*-F }
fn=${fn%% *}
shift
COMP_WORDS=("$@")
COMP_CWORD=$(( $# - 1 ))
COMP_LINE="$*"
COMP_POINT=${#COMP_LINE}
COMPREPLY=()
"$fn" cf-stream-token "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
"#;
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", DRIVER, "bash"])
        .arg(script)
        .arg("cf-stream-token")
        .args(words)
        .env_clear()
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "bash failed ({:?}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{words:?}");
    let mut got: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    got.sort();
    got
}

/// Bash completion works past the first word: subcommands of `keys`, the
/// values of `url --kind`, a subcommand's flags.
#[cfg(unix)]
#[test]
fn bash_completion_completes_past_the_first_word_in_real_bash() {
    let dir = TempDir::new();
    let script = dir.path("cf-stream-token.bash");
    std::fs::write(&script, cli(&["completions", "bash"]).ok()).unwrap();
    let sorted = |words: &[&str]| {
        let mut v: Vec<String> = words.iter().map(|w| (*w).to_owned()).collect();
        v.sort();
        v
    };
    assert_eq!(bash_completes(&script, &["k"]), sorted(&["keys"]));
    assert_eq!(
        bash_completes(&script, &["keys", "r"]),
        sorted(&["reconcile", "retire", "revoke", "rotate"])
    );
    assert_eq!(
        bash_completes(&script, &["keys", "p"]),
        sorted(&["policy", "promote"])
    );
    assert_eq!(
        bash_completes(&script, &["url", "--kind", ""]),
        sorted(&[
            "hls",
            "dash",
            "iframe",
            "watch",
            "thumbnail",
            "gif",
            "mp4",
            "m4a",
            "webrtc"
        ])
    );
    assert_eq!(
        bash_completes(&script, &["url", "--kind", "h"]),
        sorted(&["hls"])
    );
    assert_eq!(
        bash_completes(&script, &["keys", "rotate", "--k"]),
        sorted(&["--keyring"])
    );
    assert_eq!(
        bash_completes(&script, &["completions", ""]),
        sorted(&["--help", "-h", "bash", "fish", "zsh"])
    );
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
