//! `inspect`: a token read without its key.

use super::*;

#[test]
fn inspect_says_when_it_expires_and_whether_it_keeps_the_cap() {
    let token = minted_now(
        &TokenOptions::builder()
            .lifetime(std::time::Duration::from_secs(7200))
            .build()
            .unwrap(),
    );
    let exp = decode_unverified(&token).unwrap().claims.exp();
    let text_out = cli(&["inspect", &token]).ok();
    let lines: Vec<&str> = text_out.lines().collect();
    assert_eq!(
        lines[0],
        "NOT VERIFIED: decoded only; `verify --key FILE` checks the signature"
    );
    assert_eq!(lines[1], "alg:          RS256");
    assert_eq!(lines[2], format!("kid:          {DEMO_KID}"));
    assert_eq!(lines[3], format!("video (sub):  {VIDEO}"));
    assert!(
        lines[4].starts_with("expires:      ") && lines[4].contains(&format!("Z (exp {exp}), in ")),
        "{}",
        lines[4]
    );
    assert_eq!(lines[5], "not before:   (none)");
    assert_eq!(lines[6], "downloadable: no");
    assert_eq!(lines[7], "access rules: (none)");
    assert_eq!(lines[8], "24 h cap:     kept (at most 24 hours left)");

    let out = cli(&["inspect", "--json", "-"]).stdin(&token).ok();
    let v = json_of(&out);
    assert_eq!(v["verified"], json!(false));
    assert_eq!(v["header"], json!({"alg": "RS256", "kid": DEMO_KID}));
    assert_eq!(v["claims"]["exp"], json!(exp));
    assert_eq!(v["expired"], json!(false));
    assert_eq!(v["not_yet_valid"], json!(false));
    assert_eq!(v["within_24h_cap"], json!(true));
    let left = v["expires_in"].as_i64().unwrap();
    assert!((7190..=7200).contains(&left), "{left}");
    assert!(out.starts_with(r#"{"verified":false,"header":"#), "{out}");

    // Expired, at a fixed clock long past.
    let old = demo_signer()
        .mint_at(at(NOW), &video(), &TokenOptions::default())
        .unwrap();
    let out = cli(&["inspect", old.as_str()]).ok();
    assert!(
        out.contains("expires:      2023-11-14T23:13:20Z (exp 1700003600), expired "),
        "{out}"
    );
    let v = json_of(&cli(&["inspect", "--json", old.as_str()]).ok());
    assert_eq!(v["expired"], json!(true));
    assert_eq!(v["expires_at"], json!("2023-11-14T23:13:20Z"));

    // Signed by someone who ignored the cap: 30 hours to run.
    let over = forge(
        &format!(r#"{{"alg":"RS256","kid":"{DEMO_KID}"}}"#),
        &format!(
            r#"{{"sub":"{VIDEO}","kid":"{DEMO_KID}","exp":{}}}"#,
            now() + 30 * 3600
        ),
        |input| hazmat::sign_rs256(&demo_key(), input).unwrap(),
    );
    let out = cli(&["inspect", &over]).ok();
    assert!(
        out.contains("24 h cap:     BROKEN: 1d 6h 0m 0s left,")
            || out.contains("24 h cap:     BROKEN: 1d 5h 59m"),
        "{out}"
    );
    let v = json_of(&cli(&["inspect", "--json", &over]).ok());
    assert_eq!(v["within_24h_cap"], json!(false));

    // `none` decodes, with a warning; garbage does not.
    let none = forge(
        &format!(r#"{{"alg":"none","kid":"{DEMO_KID}"}}"#),
        &format!(
            r#"{{"sub":"{VIDEO}","kid":"{DEMO_KID}","exp":{}}}"#,
            now() + 60
        ),
        |_| Vec::new(),
    );
    let out = cli(&["inspect", &none]).ok();
    assert!(
        out.contains(r#"alg:          "none" (verify refuses everything but RS256)"#),
        "{out}"
    );
    assert_eq!(
        cli(&["inspect", "not.a.token"]).fails(1),
        "malformed token: header is not a JWS header"
    );
}

#[test]
fn inspect_refuses_duplicate_members_as_verify_does() {
    let token = forge(
        &format!(r#"{{"alg":"none","alg":"RS256","kid":"{DEMO_KID}"}}"#),
        &format!(
            r#"{{"sub":"{VIDEO}","kid":"{DEMO_KID}","exp":{}}}"#,
            now() + 60
        ),
        |input| hazmat::sign_rs256(&demo_key(), input).unwrap(),
    );
    assert_eq!(
        cli(&["inspect", &token]).fails(1),
        "malformed token: a member name is repeated"
    );
    assert_eq!(
        cli(&["inspect", "--json", &token]).fails(1),
        "malformed token: a member name is repeated"
    );
    assert_eq!(
        cli(&[
            "verify",
            "--key",
            &fixture("demo/demo_public_spki.pem"),
            &token
        ])
        .fails(1),
        "token refused: malformed token: a member name is repeated"
    );
}

/// The claims `inspect --json` and `verify` print are the library's own
/// JSON form of `Claims`, member for member, not a copy that could drift.
#[test]
fn inspect_and_verify_print_the_librarys_claims_json() {
    let opts = TokenOptions::builder()
        .downloadable(true)
        .backdate_not_before(std::time::Duration::from_secs(60))
        .access_rules([
            "allow:country=GB".parse().unwrap(),
            "block:any".parse().unwrap(),
        ])
        .build()
        .unwrap();
    let token = minted_now(&opts);
    let claims = decode_unverified(&token).unwrap().claims;
    let library = serde_json::to_string(&claims).unwrap();
    let inspected = cli(&["inspect", "--json", &token]).ok();
    let verified = cli(&["verify", "--key", &fixture("demo/demo.jwk.json"), &token]).ok();
    for out in [&inspected, &verified] {
        assert!(
            out.contains(&format!(r#","claims":{library}"#)),
            "{library} in {out}"
        );
    }
}

/// The cap is the library's 24-hour rule: exactly 24 hours left keeps it,
/// a minute more breaks it.
#[test]
fn inspect_applies_the_librarys_24_hour_rule_at_its_edge() {
    let forged = |exp: i64| {
        forge(
            &format!(r#"{{"alg":"RS256","kid":"{DEMO_KID}"}}"#),
            &format!(r#"{{"sub":"{VIDEO}","kid":"{DEMO_KID}","exp":{exp}}}"#),
            |input| hazmat::sign_rs256(&demo_key(), input).unwrap(),
        )
    };
    // The command reads the clock after this, so at most 24 hours are left.
    let edge = forged(now() + 24 * 3600);
    let v = json_of(&cli(&["inspect", "--json", &edge]).ok());
    assert_eq!(v["within_24h_cap"], json!(true), "{v}");
    let over = forged(now() + 24 * 3600 + 60);
    let v = json_of(&cli(&["inspect", "--json", &over]).ok());
    assert_eq!(v["within_24h_cap"], json!(false), "{v}");
    assert!(
        cli(&["inspect", &over])
            .ok()
            .contains("24 h cap:     BROKEN: 1d 0h "),
    );
}
