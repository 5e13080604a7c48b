//! `bench`: the signing benchmark from the command line.

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
        "the following required arguments were not provided: --key <FILE>"
    );
    assert_eq!(
        cli(&["bench", "--key", "missing.pem"]).fails(1),
        "key file \"missing.pem\": No such file or directory (os error 2)"
    );
}
