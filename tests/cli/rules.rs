//! Access rules on the command line: lists that decide nothing are refused
//! wherever `--rule` is read.

use super::*;

fn mint(rules: &[&str]) -> Cli {
    let key = fixture("demo/demo.jwk.json");
    let mut args = vec!["mint".to_owned(), "--key".to_owned(), key];
    args.extend(["--video".to_owned(), VIDEO.to_owned()]);
    for r in rules {
        args.extend(["--rule".to_owned(), (*r).to_owned()]);
    }
    cli(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

#[test]
fn mint_refuses_an_allow_only_list_and_says_what_to_add() {
    assert_eq!(
        mint(&["allow:country=GB"]).fails(2),
        "--rule: access rule 1 has no effect: every viewer it lets play would play anyway, \
         since a viewer no rule matches is let through; add `block:any` after it to let only \
         these viewers play"
    );
    assert_eq!(
        mint(&["block:country=US,GB", "block:country=US"]).fails(2),
        "--rule: access rule 2 has no effect: earlier rules already decide every viewer it \
         matches; remove it, or move it before them"
    );
    let token = mint(&["allow:country=GB", "block:any"]).ok();
    assert_eq!(
        demo_verifier().verify(&token).unwrap().access_rules().len(),
        2
    );
}

#[test]
fn rules_explain_prints_who_may_play() {
    assert_eq!(
        cli(&[
            "rules",
            "explain",
            "--rule",
            "block:ip=10.0.0.0/8",
            "--rule",
            "allow:country=gb,IE",
            "--rule",
            "block:any",
        ])
        .ok(),
        "Rule 1: viewers from 10.0.0.0/8 are blocked.\n\
         Rule 2: viewers in GB or IE may play, except those rule 1 decides first.\n\
         Rule 3: everyone else is blocked.\n\
         IPv6: the address rules (rule 1) list IPv4 networks only, so no IPv6 viewer matches \
         it: IPv6 viewers are decided by the other rules alone."
    );
}

#[test]
fn rules_explain_prints_the_refusal_of_a_list_that_decides_nothing() {
    assert_eq!(
        cli(&["rules", "explain", "--rule", "allow:country=GB"]).fails(2),
        "--rule: access rule 1 has no effect: every viewer it lets play would play anyway, \
         since a viewer no rule matches is let through; add `block:any` after it to let only \
         these viewers play"
    );
    assert_eq!(
        cli(&["rules", "explain", "--rule", "allow:country=UK"]).fails(2),
        r#"invalid value 'allow:country=UK' for '--rule <SPEC>': invalid rule "allow:country=UK": "UK" is not an ISO 3166-1 alpha-2 country code (the United Kingdom is GB)"#
    );
    let missing = cli(&["rules", "explain"]).fails(2);
    assert!(missing.contains("--rule <SPEC>"), "{missing}");
}

#[test]
fn rules_help_explains_the_evaluation_and_gives_examples() {
    let help = cli(&["rules", "--help"]).ok();
    assert!(
        help.contains("a\nviewer no rule matches may play"),
        "{help}"
    );
    assert!(help.contains("explain"), "{help}");
    let help = cli(&["rules", "explain", "--help"]).ok();
    assert!(
        help.contains("cf-stream-token rules explain --rule allow:country=GB --rule block:any"),
        "{help}"
    );
    assert!(help.contains("--rule <SPEC>"), "{help}");
    let top = cli(&["--help"]).ok();
    assert!(top.contains("rules "), "{top}");
}

#[test]
fn rules_explain_json_lists_the_sentences() {
    let out = cli(&[
        "rules",
        "explain",
        "--json",
        "--rule",
        "allow:country=GB",
        "--rule",
        "block:any",
    ])
    .ok();
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"explanation": [
            "Rule 1: viewers in GB may play.",
            "Rule 2: everyone else is blocked.",
            "IPv6: no rule looks at addresses, so IPv4 and IPv6 viewers are treated alike.",
        ]})
    );
}
