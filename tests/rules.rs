//! Access rules: Cloudflare's exact JSON, every refusal by kind, and the
//! claim as minted and verified.

use base64::Engine as _;
use cf_stream_token::dangerous::decode_unverified;
use cf_stream_token::{
    AccessRule, Action, CountryCode, Error, ErrorKind, IpNetwork, TokenOptions, hazmat,
};

use crate::common::*;

/// The JSON of a rule list, as the options carry it (`access_rules_json`
/// is this serialisation; `rules_keep_their_order_and_access_rule_appends`
/// pins that), without the checks on the list as a whole.
fn rules_json(rules: impl IntoIterator<Item = AccessRule>) -> String {
    serde_json::to_string(&rules.into_iter().collect::<Vec<_>>()).unwrap()
}

fn build_err(rules: impl IntoIterator<Item = AccessRule>) -> ErrorKind {
    TokenOptions::builder()
        .access_rules(rules)
        .build()
        .unwrap_err()
        .into_kind()
}

fn kind<T: std::fmt::Debug>(r: Result<T, Error>) -> ErrorKind {
    r.unwrap_err().into_kind()
}

fn payload(token: &str) -> String {
    let p = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(p)
        .unwrap();
    String::from_utf8(bytes).unwrap()
}

#[test]
fn each_rule_shape_serialises_exactly() {
    assert_eq!(
        rules_json([AccessRule::any(Action::Allow)]),
        r#"[{"type":"any","action":"allow"}]"#
    );
    assert_eq!(
        rules_json([AccessRule::any(Action::Block)]),
        r#"[{"type":"any","action":"block"}]"#
    );
    assert_eq!(
        rules_json([AccessRule::networks(
            Action::Allow,
            ["93.184.216.0/24", "2400:cb00::/32", "1.2.3.4"]
        )
        .unwrap()]),
        r#"[{"type":"ip.src","action":"allow","ip":["93.184.216.0/24","2400:cb00::/32","1.2.3.4"]}]"#
    );
    assert_eq!(
        rules_json([AccessRule::countries(Action::Block, ["US", "mx"]).unwrap()]),
        r#"[{"type":"ip.geoip.country","action":"block","country":["US","MX"]}]"#
    );
}

#[test]
fn cloudflares_documentation_example_allow_gb_block_the_rest() {
    let expected = r#"[{"type":"ip.geoip.country","action":"allow","country":["GB"]},{"type":"any","action":"block"}]"#;
    // Spelled out rule by rule, and with the convenience constructor.
    let by_hand = [
        AccessRule::Country {
            action: Action::Allow,
            country: vec![CountryCode::new("GB").unwrap()],
        },
        AccessRule::Any {
            action: Action::Block,
        },
    ];
    assert_eq!(rules_json(by_hand.clone()), expected);
    assert_eq!(
        rules_json(AccessRule::allow_only_countries(["GB"]).unwrap()),
        expected
    );
    // And the JSON reads back to the same rules.
    let back: Vec<AccessRule> = serde_json::from_str(expected).unwrap();
    assert_eq!(back, by_hand);
}

#[test]
fn convenience_policies() {
    assert_eq!(
        rules_json([AccessRule::block_countries(["RU", "kp"]).unwrap()]),
        r#"[{"type":"ip.geoip.country","action":"block","country":["RU","KP"]}]"#
    );
    assert_eq!(
        rules_json(AccessRule::allow_only_networks(["10.0.0.0/8", "fd00::/8"]).unwrap()),
        r#"[{"type":"ip.src","action":"allow","ip":["10.0.0.0/8","fd00::/8"]},{"type":"any","action":"block"}]"#
    );
    let [first, last] = AccessRule::allow_only_countries(["GB"]).unwrap();
    assert_eq!(first.action(), Action::Allow);
    assert_eq!(last.action(), Action::Block);
}

#[test]
fn rules_keep_their_order_and_access_rule_appends() {
    let opts = TokenOptions::builder()
        .access_rule(AccessRule::networks(Action::Allow, ["203.0.113.7"]).unwrap())
        .access_rule(AccessRule::countries(Action::Block, ["T1", "xx"]).unwrap())
        .access_rule(AccessRule::any(Action::Block))
        .build()
        .unwrap();
    assert_eq!(
        opts.access_rules_json(),
        Some(
            r#"[{"type":"ip.src","action":"allow","ip":["203.0.113.7"]},{"type":"ip.geoip.country","action":"block","country":["T1","XX"]},{"type":"any","action":"block"}]"#
        )
    );
    assert_eq!(opts.access_rules().len(), 3);
    // `access_rules` replaces what was there.
    let replaced = opts
        .to_builder()
        .access_rules([AccessRule::any(Action::Block)])
        .build()
        .unwrap();
    assert_eq!(
        replaced.access_rules_json(),
        Some(r#"[{"type":"any","action":"block"}]"#)
    );
    assert_eq!(TokenOptions::default().access_rules_json(), None);
}

#[test]
fn networks_are_kept_as_written_host_bits_included() {
    assert_eq!(
        rules_json([AccessRule::networks(
            Action::Block,
            ["10.1.2.3/8", "192.0.2.1/32", "192.0.2.1", "2001:DB8::1/64"]
        )
        .unwrap()]),
        r#"[{"type":"ip.src","action":"block","ip":["10.1.2.3/8","192.0.2.1/32","192.0.2.1","2001:db8::1/64"]}]"#
    );
}

#[test]
fn at_most_five_rules() {
    let five: Vec<_> = ["GB", "US", "FR", "DE", "JP"]
        .into_iter()
        .map(|c| AccessRule::countries(Action::Block, [c]).unwrap())
        .collect();
    let built = TokenOptions::builder()
        .access_rules(five.clone())
        .build()
        .unwrap();
    assert_eq!(
        built
            .access_rules_json()
            .unwrap()
            .matches("ip.geoip.country")
            .count(),
        5
    );
    let mut six = five;
    six.push(AccessRule::any(Action::Block));
    assert_eq!(build_err(six), ErrorKind::TooManyRules { count: 6 });
}

#[test]
fn a_rule_after_any_is_refused() {
    assert_eq!(
        build_err([
            AccessRule::countries(Action::Allow, ["GB"]).unwrap(),
            AccessRule::any(Action::Block),
            AccessRule::networks(Action::Allow, ["1.2.3.4"]).unwrap(),
        ]),
        ErrorKind::RuleAfterAny { index: 3 }
    );
    assert_eq!(
        build_err([
            AccessRule::any(Action::Allow),
            AccessRule::any(Action::Block)
        ]),
        ErrorKind::RuleAfterAny { index: 2 }
    );
}

#[test]
fn empty_lists_are_refused() {
    let no_strs: [&str; 0] = [];
    assert_eq!(
        build_err([
            AccessRule::any(Action::Allow),
            AccessRule::networks(Action::Allow, no_strs).unwrap()
        ]),
        // The `any` comes first, so the empty rule is unreachable too: that is
        // reported first.
        ErrorKind::RuleAfterAny { index: 2 }
    );
    assert_eq!(
        build_err([
            AccessRule::countries(Action::Allow, ["GB"]).unwrap(),
            AccessRule::networks(Action::Allow, no_strs).unwrap()
        ]),
        ErrorKind::EmptyRuleList { index: 2 }
    );
    assert_eq!(
        build_err(AccessRule::allow_only_countries(no_strs).unwrap()),
        ErrorKind::EmptyRuleList { index: 1 }
    );
    assert_eq!(
        build_err([AccessRule::IpSrc {
            action: Action::Block,
            ip: Vec::new()
        }]),
        ErrorKind::EmptyRuleList { index: 1 }
    );
}

/// A refused rule is named by its position from 1, as `blocked-by-rule:N`
/// and `Decision::rule` name the rule that decided: the first rule is 1.
#[test]
fn refused_rules_are_counted_from_one() {
    let no_strs: [&str; 0] = [];
    let err = |rules: Vec<AccessRule>| {
        TokenOptions::builder()
            .access_rules(rules)
            .build()
            .unwrap_err()
    };
    let e = err(vec![AccessRule::networks(Action::Allow, no_strs).unwrap()]);
    assert_eq!(e.kind(), &ErrorKind::EmptyRuleList { index: 1 });
    assert_eq!(e.to_string(), "access rule 1 has an empty list");
    let e = err(vec![
        AccessRule::any(Action::Block),
        AccessRule::any(Action::Allow),
    ]);
    assert_eq!(e.kind(), &ErrorKind::RuleAfterAny { index: 2 });
    assert_eq!(
        e.to_string(),
        "access rule 2 follows an `any` rule and could never match"
    );
}

#[test]
fn country_codes_come_from_the_iso_list() {
    for (given, kept) in [
        ("GB", "GB"),
        ("gb", "GB"),
        ("Us", "US"),
        ("T1", "T1"),
        ("xx", "XX"),
    ] {
        let c = AccessRule::countries(Action::Allow, [given]).unwrap();
        let AccessRule::Country { country, .. } = c else {
            unreachable!()
        };
        assert_eq!(country[0].as_str(), kept);
    }
    // UK: reserved, not assigned; G1: not a code; GBR: alpha-3; XK: user-assigned.
    for bad in ["UK", "uk", "G1", "GBR", "XK", "EU", "ZZ", "A", "", "G B"] {
        assert_eq!(
            kind(AccessRule::countries(Action::Allow, ["FR", bad])),
            ErrorKind::InvalidCountryCode {
                value: bad.to_owned()
            },
            "{bad:?}"
        );
    }
    let e = CountryCode::new("UK").unwrap_err();
    assert_eq!(
        e.to_string(),
        r#""UK" is not an ISO 3166-1 alpha-2 country code (the United Kingdom is GB)"#
    );
}

/// The codes people write for a country that has another: the message
/// names the code meant.
#[test]
fn refused_country_codes_suggest_the_code_meant() {
    for (given, message) in [
        (
            "uk",
            r#""uk" is not an ISO 3166-1 alpha-2 country code (the United Kingdom is GB)"#,
        ),
        (
            "EL",
            r#""EL" is not an ISO 3166-1 alpha-2 country code (Greece is GR)"#,
        ),
        (
            "GBR",
            r#""GBR" is not an ISO 3166-1 alpha-2 country code (GBR is alpha-3; the alpha-2 code is GB)"#,
        ),
        (
            "usa",
            r#""usa" is not an ISO 3166-1 alpha-2 country code (USA is alpha-3; the alpha-2 code is US)"#,
        ),
        ("ZZ", r#""ZZ" is not an ISO 3166-1 alpha-2 country code"#),
        ("EU", r#""EU" is not an ISO 3166-1 alpha-2 country code"#),
    ] {
        assert_eq!(CountryCode::new(given).unwrap_err().to_string(), message);
    }
}

#[test]
fn addresses_and_cidrs_must_parse() {
    for bad in [
        "1.2.3.4/33",
        "300.1.1.1",
        "::g",
        "::/129",
        "1.2.3.4/",
        "1.2.3.0/24 ",
        "example.com",
        "010.0.0.1/8",
        "",
    ] {
        assert_eq!(
            kind(AccessRule::networks(Action::Block, ["1.1.1.1", bad])),
            ErrorKind::InvalidIpNetwork {
                value: bad.to_owned()
            },
            "{bad:?}"
        );
    }
    let e = IpNetwork::new("1.2.3.4/33").unwrap_err();
    assert_eq!(
        e.to_string(),
        r#""1.2.3.4/33" is not an IP address or CIDR network"#
    );
}

#[test]
fn deserialising_checks_each_rule_too() {
    let ok: AccessRule =
        serde_json::from_str(r#"{"type":"ip.src","action":"allow","ip":["1.2.3.0/24"]}"#).unwrap();
    assert_eq!(
        ok,
        AccessRule::networks(Action::Allow, ["1.2.3.0/24"]).unwrap()
    );
    for bad in [
        r#"{"type":"ip.geoip.country","action":"allow","country":["UK"]}"#,
        r#"{"type":"ip.geoip.country","action":"allow","country":[]}"#,
        r#"{"type":"ip.src","action":"allow","ip":["1.2.3.4/33"]}"#,
        r#"{"type":"ip.src","action":"allow","ip":[]}"#,
        r#"{"type":"ip.src","action":"allow"}"#,
        r#"{"type":"ip.dst","action":"allow","ip":["1.2.3.4"]}"#,
        r#"{"type":"any","action":"maybe"}"#,
    ] {
        assert!(serde_json::from_str::<AccessRule>(bad).is_err(), "{bad}");
    }
}

#[test]
fn rules_ride_in_the_token_and_verify() {
    let signer = demo_signer();
    let rules = AccessRule::allow_only_countries(["GB"]).unwrap();
    let opts = TokenOptions::builder()
        .access_rules(rules.clone())
        .build()
        .unwrap();
    let token = signer.mint_at(at(NOW), &video(), &opts).unwrap();
    assert_eq!(
        payload(token.as_str()),
        format!(
            r#"{{"sub":"{VIDEO}","kid":"{DEMO_KID}","exp":{},"accessRules":[{{"type":"ip.geoip.country","action":"allow","country":["GB"]}},{{"type":"any","action":"block"}}]}}"#,
            NOW + 3600
        )
    );
    let claims = signer
        .verifier()
        .verify_at(token.as_str(), at(NOW))
        .unwrap();
    assert_eq!(claims.access_rules(), &rules);
    assert_eq!(token.claims().access_rules(), &rules);
    let unverified = decode_unverified(token.as_str()).unwrap().claims;
    assert_eq!(unverified.access_rules(), &rules);
}

#[test]
fn an_independent_jose_library_reads_the_same_rules() {
    let signer = demo_signer();
    let opts = TokenOptions::builder()
        .access_rule(AccessRule::networks(Action::Block, ["2400:cb00::/32"]).unwrap())
        .build()
        .unwrap();
    let token = signer.mint_at(at(NOW), &video(), &opts).unwrap();
    let key =
        jsonwebtoken::DecodingKey::from_rsa_pem(signer.key().public_key().to_spki_pem().as_bytes())
            .unwrap();
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    v.validate_exp = false;
    v.required_spec_claims.clear();
    let data = jsonwebtoken::decode::<serde_json::Value>(token.as_str(), &key, &v).unwrap();
    assert_eq!(
        data.claims["accessRules"],
        serde_json::json!([
            {"type": "ip.src", "action": "block", "ip": ["2400:cb00::/32"]},
        ])
    );
}

#[test]
fn the_verifier_refuses_a_signed_token_with_a_bad_rule() {
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let header = format!(r#"{{"alg":"RS256","kid":"{DEMO_KID}"}}"#);
    let body = format!(
        r#"{{"sub":"{VIDEO}","kid":"{DEMO_KID}","exp":{},"accessRules":[{{"type":"ip.geoip.country","action":"allow","country":["UK"]}}]}}"#,
        NOW + 60
    );
    let input = format!("{}.{}", b64(&header), b64(&body));
    let sig = hazmat::sign_rs256(&demo_key(), input.as_bytes()).unwrap();
    let token = format!(
        "{input}.{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sig)
    );
    assert_eq!(
        kind(demo_signer().verifier().verify_at(&token, at(NOW))),
        ErrorKind::MalformedToken {
            reason: "payload is not a Stream claims object"
        }
    );
}

#[test]
fn refused_values_are_echoed_at_most_64_characters() {
    let long = "G".repeat(10_000);
    let err = cf_stream_token::CountryCode::new(&long).unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::InvalidCountryCode {
            value: format!("{}…", "G".repeat(64))
        }
    );
    assert!(err.to_string().len() < 150, "{err}");
    let err = cf_stream_token::IpNetwork::new(&"1".repeat(10_000)).unwrap_err();
    assert!(err.to_string().len() < 150, "{err}");
}

fn parsed(specs: &[&str]) -> Vec<AccessRule> {
    specs.iter().map(|s| s.parse().unwrap()).collect()
}

/// The refusal of a list with a rule that decides nothing: its position
/// and message.
fn no_effect(specs: &[&str]) -> (usize, String) {
    let e = TokenOptions::builder()
        .access_rules(parsed(specs))
        .build()
        .unwrap_err();
    assert_eq!(e.kind().name(), "rule_has_no_effect", "{specs:?}: {e}");
    assert!(e.is_policy());
    let ErrorKind::RuleHasNoEffect { rule, .. } = *e.kind() else {
        unreachable!()
    };
    (rule, e.to_string())
}

fn accepted(specs: &[&str]) {
    if let Err(e) = TokenOptions::builder().access_rules(parsed(specs)).build() {
        panic!("{specs:?} refused: {e}");
    }
}

/// Cloudflare's own templates ship allow-only lists; they restrict nothing,
/// since a viewer no rule matches may play.
#[test]
fn allow_only_lists_are_refused_and_say_what_to_add() {
    let (rule, msg) = no_effect(&["allow:country=GB"]);
    assert_eq!(rule, 1);
    assert_eq!(
        msg,
        "access rule 1 has no effect: every viewer it lets play would play anyway, since a \
         viewer no rule matches is let through; add `block:any` after it to let only these \
         viewers play"
    );
    accepted(&["allow:country=GB", "block:any"]);
    assert_eq!(no_effect(&["allow:country=US,MX"]).0, 1);
    assert_eq!(no_effect(&["allow:ip=203.0.113.7"]).0, 1);
    assert_eq!(no_effect(&["block:country=FR", "allow:country=GB"]).0, 2);
    // A later block that never meets the allowed viewers does not help...
    assert_eq!(no_effect(&["allow:country=GB", "block:country=US"]).0, 1);
    assert_eq!(
        no_effect(&["allow:ip=10.0.0.0/8", "block:ip=11.0.0.0/8"]).0,
        1
    );
    // ...one that meets some of them does: GB viewers in 10/8 play.
    accepted(&["allow:country=GB", "block:ip=10.0.0.0/8"]);
    accepted(&["allow:ip=10.1.0.0/16", "block:ip=10.0.0.0/8"]);
    // IPv6 viewers are viewers too: the allowed IPv6 network meets `::/0`.
    accepted(&["allow:ip=2001:db8::/32", "block:ip=::/0"]);
    assert_eq!(
        no_effect(&["allow:ip=2001:db8::/32", "block:ip=0.0.0.0/0"]).0,
        1
    );
}

#[test]
fn allow_rules_whose_viewers_play_anyway_are_refused() {
    let (rule, msg) = no_effect(&["allow:country=GB", "allow:country=GB,US", "block:any"]);
    assert_eq!(rule, 1);
    assert!(
        msg.ends_with("is let play by a later rule too; remove it"),
        "{msg}"
    );
    let (rule, msg) = no_effect(&["block:country=FR", "allow:any"]);
    assert_eq!(rule, 2);
    assert!(
        msg.contains("an `allow:any` rule lets play everyone it reaches"),
        "{msg}"
    );
    assert_eq!(no_effect(&["allow:any"]).0, 1);
}

#[test]
fn rules_an_earlier_rule_already_decides_are_refused() {
    let (rule, msg) = no_effect(&["block:country=US,GB", "block:country=US"]);
    assert_eq!(rule, 2);
    assert_eq!(
        msg,
        "access rule 2 has no effect: earlier rules already decide every viewer it matches; \
         remove it, or move it before them"
    );
    assert_eq!(
        no_effect(&["block:ip=10.0.0.0/8", "block:ip=10.1.2.3"]).0,
        2
    );
    assert_eq!(
        no_effect(&["allow:ip=10.0.0.0/8", "block:ip=10.1.0.0/16", "block:any"]).0,
        2
    );
    // Covered by the union of earlier rules, not by any one of them.
    assert_eq!(
        no_effect(&[
            "block:ip=10.0.0.0/9",
            "block:ip=10.128.0.0/9",
            "block:ip=10.7.0.0/16"
        ])
        .0,
        3
    );
    // Every address, both families: nothing is left for a country rule.
    assert_eq!(
        no_effect(&["block:ip=0.0.0.0/0", "block:ip=::/0", "block:country=GB"]).0,
        3
    );
    // One family only leaves the other's viewers to decide; `::/0` covers
    // no IPv4 viewer (IPv4-mapped addresses are matched as IPv4).
    accepted(&["block:ip=0.0.0.0/0", "block:country=GB"]);
    accepted(&["block:ip=::/0", "block:country=GB"]);
    // A block the catch-all would also give is kept: it names the reason.
    accepted(&["block:country=T1", "allow:country=GB", "block:any"]);
    accepted(&["block:country=US", "block:any"]);
    // Anything after `any` keeps its own refusal.
    assert_eq!(
        build_err(parsed(&["block:any", "block:country=GB"])),
        ErrorKind::RuleAfterAny { index: 2 }
    );
}

#[test]
fn a_rule_listing_every_country_leaves_nothing_to_the_next() {
    let chars = || ('0'..='9').chain('A'..='Z');
    let every: Vec<CountryCode> = chars()
        .flat_map(|a| chars().map(move |b| format!("{a}{b}")))
        .filter_map(|c| CountryCode::new(&c).ok())
        .collect();
    assert!(every.len() > 240, "{}", every.len());
    let all = AccessRule::countries(Action::Block, &every).unwrap();
    assert_eq!(
        build_err([
            all,
            AccessRule::networks(Action::Block, ["10.0.0.0/8"]).unwrap()
        ]),
        ErrorKind::RuleHasNoEffect {
            rule: 2,
            reason: "earlier rules already decide every viewer it matches; remove it, or move it before them"
        }
    );
    let all_but_one = AccessRule::countries(Action::Block, &every[1..]).unwrap();
    accepted_rules([all_but_one, AccessRule::any(Action::Block)]);
}

fn accepted_rules(rules: impl IntoIterator<Item = AccessRule>) {
    TokenOptions::builder().access_rules(rules).build().unwrap();
}

#[test]
fn an_ipv4_mapped_network_matches_no_one() {
    let (rule, msg) = no_effect(&["block:ip=::ffff:10.0.0.0/104"]);
    assert_eq!(rule, 1);
    assert!(msg.contains("write the IPv4 network instead"), "{msg}");
    accepted(&["block:ip=10.0.0.0/8"]);
}

fn explained(specs: &[&str]) -> String {
    TokenOptions::builder()
        .access_rules(parsed(specs))
        .build()
        .unwrap()
        .explain_rules()
        .to_string()
}

#[test]
fn explain_says_who_may_play_and_what_everyone_else_gets() {
    assert_eq!(
        explained(&["allow:country=GB,IE", "block:any"]),
        "Rule 1: viewers in GB or IE may play.\n\
         Rule 2: everyone else is blocked.\n\
         IPv6: no rule looks at addresses, so IPv4 and IPv6 viewers are treated alike."
    );
    assert_eq!(
        explained(&["block:country=US,MX,CA"]),
        "Rule 1: viewers in US, MX or CA are blocked.\n\
         Everyone else may play: a viewer no rule matches is let through.\n\
         IPv6: no rule looks at addresses, so IPv4 and IPv6 viewers are treated alike."
    );
    assert_eq!(
        explained(&["block:ip=10.0.0.0/8", "allow:country=GB", "block:any"]),
        "Rule 1: viewers from 10.0.0.0/8 are blocked.\n\
         Rule 2: viewers in GB may play, except those rule 1 decides first.\n\
         Rule 3: everyone else is blocked.\n\
         IPv6: the address rules (rule 1) list IPv4 networks only, so no IPv6 viewer matches \
         it: IPv6 viewers are decided by the other rules alone."
    );
    assert_eq!(
        TokenOptions::default().explain_rules().to_string(),
        "No access rules: every viewer may play."
    );
}

/// Whether IPv6 viewers are covered: the allow-only-networks list written
/// with IPv4 networks blocks every IPv6 viewer, and says so.
#[test]
fn explain_says_whether_ipv6_viewers_are_covered() {
    let text = explained(&["allow:ip=203.0.113.0/24,198.51.100.7", "block:any"]);
    assert_eq!(
        text.lines().collect::<Vec<_>>(),
        [
            "Rule 1: viewers from 203.0.113.0/24 or 198.51.100.7 may play.",
            "Rule 2: everyone else is blocked.",
            "IPv6: the address rules (rule 1) list IPv4 networks only, so no IPv6 viewer \
             matches it: every IPv6 viewer is blocked.",
        ]
    );
    assert_eq!(
        explained(&["block:ip=2001:db8::/32", "block:ip=::/0"])
            .lines()
            .collect::<Vec<_>>(),
        [
            "Rule 1: viewers from 2001:db8::/32 are blocked.",
            "Rule 2: viewers from ::/0 (every IPv6 address) are blocked, except those rule 1 \
             decides first.",
            "Everyone else may play: a viewer no rule matches is let through.",
            "IPv6: the address rules (rules 1 and 2) list IPv6 networks only, so no IPv4 viewer \
             matches them: every IPv4 viewer may play.",
        ]
    );
    let text = explained(&[
        "allow:ip=203.0.113.0/24,2001:db8::/32",
        "block:country=T1",
        "block:ip=0.0.0.0/0",
    ]);
    assert!(
        text.ends_with(
            "IPv6: rule 1 lists IPv4 and IPv6 networks; rule 3 lists IPv4 networks only, so no \
             IPv6 viewer matches it."
        ),
        "{text}"
    );
    assert!(
        text.contains("Rule 3: viewers from 0.0.0.0/0 (every IPv4 address) are blocked, except those rules 1 and 2 decide first."),
        "{text}"
    );
}

/// A token minted elsewhere may carry rules the builder refuses: its
/// explanation shows what they do (everyone plays).
#[test]
fn explain_reads_a_foreign_tokens_allow_only_rules() {
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let header = format!(r#"{{"alg":"RS256","kid":"{DEMO_KID}"}}"#);
    let body = format!(
        r#"{{"sub":"{VIDEO}","kid":"{DEMO_KID}","exp":{},"accessRules":[{{"type":"ip.geoip.country","action":"allow","country":["US","MX"]}},{{"type":"ip.geoip.country","action":"block","country":["US"]}}]}}"#,
        NOW + 60
    );
    let input = format!("{}.{}", b64(&header), b64(&body));
    let sig = hazmat::sign_rs256(&demo_key(), input.as_bytes()).unwrap();
    let token = format!("{input}.{}", b64_bytes(&sig));
    let claims = demo_signer().verifier().verify_at(&token, at(NOW)).unwrap();
    assert_eq!(
        claims.explain_rules().lines().collect::<Vec<_>>(),
        [
            "Rule 1: viewers in US or MX may play.",
            "Rule 2: viewers in US are blocked, but rule 1 decides all of them first: this rule \
             decides no one.",
            "Everyone else may play: a viewer no rule matches is let through.",
            "IPv6: no rule looks at addresses, so IPv4 and IPv6 viewers are treated alike.",
        ]
    );
}

fn b64_bytes(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The longest lists a token can carry (some 680 networks) are analysed
/// whole: the sweep over the networks' edges finds the one viewer class
/// each allow rule lets play, and the list builds.
#[test]
fn a_list_as_long_as_a_token_allows_is_analysed() {
    let nets: Vec<String> = (0..680u32)
        .map(|i| format!("10.{}.{}.0/24", i / 256, i % 256))
        .collect();
    let rules = vec![
        AccessRule::networks(Action::Allow, &nets[..170]).unwrap(),
        AccessRule::networks(Action::Block, &nets[170..340]).unwrap(),
        AccessRule::networks(Action::Allow, &nets[340..510]).unwrap(),
        AccessRule::networks(Action::Block, &nets[510..680]).unwrap(),
        AccessRule::any(Action::Block),
    ];
    let opts = TokenOptions::builder()
        .access_rules(rules.clone())
        .build()
        .unwrap();
    assert_eq!(opts.access_rules(), &rules[..]);
    // The same list with the third rule's networks inside the first's
    // decides nothing with its third rule.
    let mut shadowed = rules;
    shadowed[2] = AccessRule::networks(Action::Allow, &nets[..170]).unwrap();
    assert_eq!(
        build_err(shadowed),
        ErrorKind::RuleHasNoEffect {
            rule: 3,
            reason: "earlier rules already decide every viewer it matches; remove it, or move it before them"
        }
    );
}

/// Networks that reach the top of the IPv4 or the IPv6 space (their
/// one-past-last address does not exist) are analysed like any other: all
/// of a family, its upper half, its last address. Each decides something,
/// also beside a network that does not reach the top, and a network inside
/// one of them after it decides nothing.
#[test]
fn networks_reaching_the_last_address_are_analysed() {
    for top in [
        "0.0.0.0/0",
        "128.0.0.0/1",
        "255.255.255.255/32",
        "::/0",
        "8000::/1",
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128",
    ] {
        let rules = vec![
            AccessRule::networks(Action::Allow, [top]).unwrap(),
            AccessRule::any(Action::Block),
        ];
        let opts = TokenOptions::builder().access_rules(rules.clone()).build();
        assert_eq!(opts.unwrap().access_rules(), &rules[..], "{top}");
        let blocked = TokenOptions::builder()
            .access_rule(AccessRule::networks(Action::Block, [top]).unwrap())
            .build();
        assert!(blocked.is_ok(), "block:ip={top}: {blocked:?}");
    }
    // With a network that does not reach the top in the same rule.
    for pair in [
        ["10.0.0.0/8", "128.0.0.0/1"],
        ["2001:db8::/32", "ffff::/16"],
    ] {
        let mixed = vec![
            AccessRule::networks(Action::Allow, pair).unwrap(),
            AccessRule::any(Action::Block),
        ];
        let opts = TokenOptions::builder().access_rules(mixed.clone()).build();
        assert_eq!(opts.unwrap().access_rules(), &mixed[..], "{pair:?}");
    }
    assert_eq!(
        build_err([
            AccessRule::networks(Action::Block, ["128.0.0.0/1"]).unwrap(),
            AccessRule::networks(Action::Block, ["255.255.255.0/24"]).unwrap(),
        ]),
        ErrorKind::RuleHasNoEffect {
            rule: 2,
            reason: "earlier rules already decide every viewer it matches; remove it, or move it before them"
        }
    );
}

/// An IPv6 network below the IPv4-mapped block (`::1`) counts as IPv6 in
/// the explanation, like one above it; one inside the block matches no IPv6
/// viewer and does not.
#[test]
fn explain_counts_low_ipv6_networks_as_ipv6() {
    for net in ["::1/128", "::/112", "2001:db8::/32"] {
        let text = explained(&[&format!("block:ip={net}")]);
        assert!(
            text.ends_with(
                "IPv6: the address rules (rule 1) list IPv6 networks only, so no IPv4 viewer \
                 matches it: every IPv4 viewer may play."
            ),
            "{net}: {text}"
        );
    }
}

/// A foreign token's rule of IPv4-mapped networks only (which the builder
/// refuses): the explanation says that they match no viewer, not that no
/// rule looks at addresses, and not that they are IPv6 networks.
#[test]
fn explain_reads_a_foreign_tokens_mapped_networks() {
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let header = format!(r#"{{"alg":"RS256","kid":"{DEMO_KID}"}}"#);
    let body = format!(
        r#"{{"sub":"{VIDEO}","kid":"{DEMO_KID}","exp":{},"accessRules":[{{"type":"ip.src","action":"block","ip":["::ffff:0:0/96"]}}]}}"#,
        NOW + 60
    );
    let input = format!("{}.{}", b64(&header), b64(&body));
    let sig = hazmat::sign_rs256(&demo_key(), input.as_bytes()).unwrap();
    let token = format!("{input}.{}", b64_bytes(&sig));
    let claims = demo_signer().verifier().verify_at(&token, at(NOW)).unwrap();
    let text = claims.explain_rules().to_string();
    assert!(
        text.ends_with(
            "IPv6: the address rules list only IPv4-mapped IPv6 networks, which match no viewer."
        ),
        "{text}"
    );
}
