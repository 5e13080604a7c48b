//! Property tests over random clocks, lifetimes, not-before and key forms.

use std::time::Duration;

use cf_stream_token::{ErrorKind, Signer, SigningKey, TokenOptions};
use proptest::prelude::*;

use crate::common::*;

/// How a test case sets the expiry.
#[derive(Debug, Clone)]
enum Exp {
    Lifetime(u64),
    At(i64),
}

/// How a test case sets not-before.
#[derive(Debug, Clone)]
enum Nbf {
    None,
    Backdate(u64),
    At(i64),
}

fn exp_strategy() -> impl Strategy<Value = Exp> {
    prop_oneof![
        (1u64..=86_400).prop_map(Exp::Lifetime),
        (-200_000i64..=200_000).prop_map(Exp::At),
    ]
}

fn nbf_strategy() -> impl Strategy<Value = Nbf> {
    prop_oneof![
        Just(Nbf::None),
        (1u64..=7_200).prop_map(Nbf::Backdate),
        (-100_000i64..=100_000).prop_map(Nbf::At),
    ]
}

/// Build the options; offsets in `Exp::At`/`Nbf::At` are relative to `now`.
fn options(now: i64, exp: &Exp, nbf: &Nbf) -> Result<TokenOptions, cf_stream_token::Error> {
    let mut b = TokenOptions::builder();
    b = match *exp {
        Exp::Lifetime(s) => b.lifetime(Duration::from_secs(s)),
        Exp::At(off) => b.expires_at(at(now + off)),
    };
    b = match *nbf {
        Nbf::None => b,
        Nbf::Backdate(s) => b.backdate_not_before(Duration::from_secs(s)),
        Nbf::At(off) => b.not_before(at(now + off)),
    };
    b.build()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    /// No token ever has exp more than 24 h after the signing clock, and
    /// every refusal is for a real violation of the policy.
    #[test]
    fn the_cap_and_the_policy_hold(now in 0i64..4_000_000_000, exp in exp_strategy(), nbf in nbf_strategy()) {
        let signer = demo_signer();
        let result = options(now, &exp, &nbf).and_then(|o| signer.mint_at(at(now), &video(), &o));
        let want_exp = match exp { Exp::Lifetime(s) => now + s as i64, Exp::At(off) => now + off };
        let want_nbf = match nbf { Nbf::None => None, Nbf::Backdate(s) => Some(now - s as i64), Nbf::At(off) => Some(now + off) };
        let valid = want_exp > now && want_exp - now <= 86_400 && want_nbf.is_none_or(|n| n < want_exp);
        match result {
            Ok(t) => {
                prop_assert!(valid);
                prop_assert_eq!(t.exp(), want_exp);
                prop_assert_eq!(t.nbf(), want_nbf);
                prop_assert!(t.exp() > now && t.exp() - now <= 86_400);
            }
            Err(e) => {
                prop_assert!(!valid, "refused a valid request: {e}");
                let policy = matches!(
                    e.kind(),
                    ErrorKind::ExpiryTooFar { .. }
                        | ErrorKind::ExpiryNotInFuture { .. }
                        | ErrorKind::NotBeforeAfterExpiry { .. }
                );
                prop_assert!(policy, "unexpected kind {:?}", e.kind());
            }
        }
    }

    /// Every minted token verifies at any instant in [nbf, exp) and is
    /// refused outside it.
    #[test]
    fn tokens_verify_exactly_inside_their_window(
        now in 100_000i64..4_000_000_000,
        life in 1u64..=86_400,
        back in proptest::option::of(1u64..=7_200),
        probe in -10_000i64..=100_000,
    ) {
        let signer = demo_signer();
        let mut b = TokenOptions::builder().lifetime(Duration::from_secs(life));
        if let Some(s) = back {
            b = b.backdate_not_before(Duration::from_secs(s));
        }
        let t = signer.mint_at(at(now), &video(), &b.build().unwrap()).unwrap();
        let when = now + probe;
        let got = signer.verifier().verify_at(t.as_str(), at(when));
        if when >= t.exp() {
            let expired = matches!(got.unwrap_err().kind(), ErrorKind::Expired { .. });
            prop_assert!(expired);
        } else if t.nbf().is_some_and(|n| when < n) {
            let early = matches!(got.unwrap_err().kind(), ErrorKind::NotYetValid { .. });
            prop_assert!(early);
        } else {
            prop_assert_eq!(got.unwrap().exp(), t.exp());
        }
    }

    /// Whatever form the key is loaded from, the token is the same bytes.
    #[test]
    fn key_form_never_changes_the_token(form in 0usize..7, now in 0i64..4_000_000_000) {
        let k = Some(kid(DEMO_KID));
        let key = match form {
            0 => SigningKey::parse(bytes("demo/demo_pkcs1.pem"), k),
            1 => SigningKey::parse(bytes("demo/demo_pkcs8.pem"), k),
            2 => SigningKey::parse(bytes("demo/demo_pkcs8.der"), k),
            3 => SigningKey::parse(bytes("demo/demo_pkcs8.pem.b64"), k),
            4 => SigningKey::parse(bytes("demo/demo.jwk.b64"), None),
            5 => SigningKey::parse(bytes("demo/demo_create_response.json"), None),
            _ => SigningKey::parse(bytes("demo/demo_pkcs1_crlf.pem"), k),
        }
        .unwrap();
        let opts = TokenOptions::default();
        let a = Signer::new(key).mint_at(at(now), &video(), &opts).unwrap();
        let b = demo_signer().mint_at(at(now), &video(), &opts).unwrap();
        prop_assert_eq!(a.as_str(), b.as_str());
    }
}

fn network_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        (any::<[u8; 4]>(), proptest::option::of(0u8..=32)).prop_map(|(o, p)| {
            let addr = std::net::Ipv4Addr::from(o);
            p.map_or(addr.to_string(), |p| format!("{addr}/{p}"))
        }),
        (any::<u128>(), proptest::option::of(0u8..=128)).prop_map(|(bits, p)| {
            let addr = std::net::Ipv6Addr::from(bits);
            p.map_or(addr.to_string(), |p| format!("{addr}/{p}"))
        }),
    ]
}

fn rule_strategy() -> impl Strategy<Value = cf_stream_token::AccessRule> {
    use cf_stream_token::{AccessRule, Action};
    let action = prop_oneof![Just(Action::Allow), Just(Action::Block)];
    let codes = [
        "GB", "us", "De", "FR", "JP", "br", "IN", "T1", "XX", "MX", "ZA", "NZ",
    ];
    prop_oneof![
        (
            action.clone(),
            proptest::collection::vec(network_strategy(), 1..6)
        )
            .prop_map(|(a, ips)| AccessRule::networks(a, ips).unwrap()),
        (
            action,
            proptest::collection::vec(proptest::sample::select(codes.to_vec()), 1..6)
        )
            .prop_map(|(a, cs)| AccessRule::countries(a, cs).unwrap()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Rules serialise to Cloudflare's JSON and read back to the same value,
    /// alone, as a list, and through a minted and verified token.
    #[test]
    fn rules_round_trip(rules in proptest::collection::vec(rule_strategy(), 0..4), any_last in any::<Option<bool>>()) {
        use cf_stream_token::{AccessRule, Action};
        let mut rules = rules;
        if let Some(allow) = any_last {
            rules.push(AccessRule::any(if allow { Action::Allow } else { Action::Block }));
        }
        for rule in &rules {
            let json = serde_json::to_string(rule).unwrap();
            let back: AccessRule = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(&back, rule);
        }
        let opts = TokenOptions::builder().access_rules(rules.clone()).build().unwrap();
        let json = opts.access_rules_json().unwrap_or("[]");
        let back: Vec<AccessRule> = serde_json::from_str(json).unwrap();
        prop_assert_eq!(&back, &rules);
        let signer = demo_signer();
        let t = signer.mint_at(at(NOW), &video(), &opts).unwrap();
        let claims = signer.verifier().verify_at(t.as_str(), at(NOW)).unwrap();
        prop_assert_eq!(claims.access_rules(), &rules[..]);
    }
}
