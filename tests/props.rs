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
        let opts = match TokenOptions::builder().access_rules(rules.clone()).build() {
            Ok(opts) => opts,
            // A list with a rule that decides nothing (`rule_effects` below
            // checks those refusals); its rules' JSON was checked above.
            Err(e) => {
                prop_assert!(matches!(e.kind(), ErrorKind::RuleHasNoEffect { .. }), "{e}");
                return Ok(());
            }
        };
        let json = opts.access_rules_json().unwrap_or("[]");
        let back: Vec<AccessRule> = serde_json::from_str(json).unwrap();
        prop_assert_eq!(&back, &rules);
        let signer = demo_signer();
        let t = signer.mint_at(at(NOW), &video(), &opts).unwrap();
        let claims = signer.verifier().verify_at(t.as_str(), at(NOW)).unwrap();
        prop_assert_eq!(claims.access_rules(), &rules[..]);
    }
}

/// Rules over a small world: every class of viewer these rules can tell
/// apart has a member in [`witnesses`], so what holds for the witnesses
/// holds for every viewer.
fn small_rule_strategy() -> impl Strategy<Value = cf_stream_token::AccessRule> {
    use cf_stream_token::{AccessRule, Action};
    let action = prop_oneof![Just(Action::Allow), Just(Action::Block)];
    let nets = [
        "10.0.0.0/8",
        "10.1.0.0/16",
        "10.1.2.3",
        "0.0.0.0/0",
        "2001:db8::/32",
        "::/0",
        "::ffff:10.0.0.0/104",
    ];
    let codes = ["GB", "US", "FR", "T1", "XX"];
    prop_oneof![
        1 => action.clone().prop_map(AccessRule::any),
        3 => (action.clone(), proptest::sample::subsequence(nets.to_vec(), 1..=3))
            .prop_map(|(a, ips)| AccessRule::networks(a, ips).unwrap()),
        3 => (action, proptest::sample::subsequence(codes.to_vec(), 1..=3))
            .prop_map(|(a, cs)| AccessRule::countries(a, cs).unwrap()),
    ]
}

/// One viewer of each class [`small_rule_strategy`]'s rules tell apart
/// (a country none lists, addresses inside and outside each network, IPv4,
/// IPv6 and IPv4-mapped IPv6).
fn witnesses() -> Vec<cf_stream_token::Viewer> {
    use cf_stream_token::{CountryCode, Viewer};
    let ips = [
        "10.1.2.3",
        "10.1.2.4",
        "10.2.0.1",
        "11.0.0.1",
        "::ffff:10.1.2.3",
        "::ffff:11.0.0.1",
        "2001:db8::1",
        "2001:db9::1",
    ];
    let mut out = Vec::new();
    for country in ["GB", "US", "FR", "T1", "XX", "DE"] {
        for ip in ips {
            out.push(Viewer {
                ip: ip.parse().unwrap(),
                country: CountryCode::new(country).unwrap(),
            });
        }
    }
    out
}

/// Whether each witness may play under `rules`, and by which rule: the
/// first rule that matches decides, none lets the viewer play (a list the
/// options refuse cannot reach `TokenOptions::decide`, so this is that
/// evaluation again; `rule_effects` checks it against `decide` on every
/// accepted list).
fn outcomes(rules: &[cf_stream_token::AccessRule]) -> Vec<(bool, Option<usize>)> {
    use cf_stream_token::Action;
    witnesses()
        .iter()
        .map(|v| match rules.iter().position(|r| r.matches(v)) {
            Some(i) => (rules[i].action() == Action::Allow, Some(i + 1)),
            None => (true, None),
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// A rule refused as having no effect changes no viewer's outcome when
    /// it is taken out; in an accepted list every rule decides some viewer,
    /// and every `allow` rule lets someone play who would be blocked
    /// without it.
    #[test]
    fn rule_effects(rules in proptest::collection::vec(small_rule_strategy(), 1..=5)) {
        use cf_stream_token::Action;
        // Lists the other checks refuse (a rule after `any`) are not this test's.
        let first_any = rules.iter().position(|r| matches!(r, cf_stream_token::AccessRule::Any { .. }));
        prop_assume!(first_any.is_none_or(|i| i == rules.len() - 1));
        let with = outcomes(&rules);
        let without = |n: usize| {
            let mut fewer = rules.clone();
            fewer.remove(n - 1);
            outcomes(&fewer)
        };
        match TokenOptions::builder().access_rules(rules.clone()).build() {
            Ok(opts) => {
                // The oracle is `decide` itself wherever `decide` can run.
                let decided: Vec<_> = witnesses().iter().map(|v| {
                    let d = opts.decide(v);
                    (d.is_allowed(), d.rule())
                }).collect();
                prop_assert_eq!(&decided, &with);
                for n in 1..=rules.len() {
                    prop_assert!(with.iter().any(|&(_, r)| r == Some(n)), "rule {} decides no one", n);
                    if rules[n - 1].action() == Action::Allow {
                        let changed = with.iter().zip(without(n)).any(|(a, b)| a.0 != b.0);
                        prop_assert!(changed, "allow rule {} changes nothing", n);
                    }
                }
            }
            Err(e) => {
                let ErrorKind::RuleHasNoEffect { rule, .. } = *e.kind() else {
                    return Err(TestCaseError::fail(format!("unexpected refusal: {e}")));
                };
                let same = with.iter().zip(without(rule)).all(|(a, b)| a.0 == b.0);
                prop_assert!(same, "refused rule {} changes an outcome", rule);
            }
        }
    }
}
