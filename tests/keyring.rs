//! The keyring (issue 13): states and times, the signer's lifetime cap, the
//! kid-chosen verifier, the retirement horizon, promotion's minimum age,
//! revoke, reconcile, JWKS and the document's invariants.

use std::time::Duration;

use cf_stream_token::{
    ErrorKind, KeyId, KeyState, Keyring, Reconciliation, TokenOptions, Verifier,
};

use crate::common::*;

const T0: i64 = 1_800_000_000;
const H: i64 = 3600;
const DEMO_KID: &str = "8f3c2a1b9d4e5f60718293a4b5c6d7e8";
const OTHER_KID: &str = "0123456789abcdef0123456789abcdef";

fn demo_result() -> String {
    text("demo/demo_create_result.json")
}

fn other_jwk() -> String {
    text("other/other.jwk.json")
}

/// Demo current since T0, other added as next at T0.
fn two_key_ring() -> Keyring {
    let mut ring = Keyring::start_at(at(T0), &demo_result()).unwrap();
    assert_eq!(
        ring.add_next_at(at(T0), &other_jwk()).unwrap(),
        kid(OTHER_KID)
    );
    ring
}

fn lifetime(secs: u64) -> TokenOptions {
    TokenOptions::builder()
        .lifetime(Duration::from_secs(secs))
        .build()
        .unwrap()
}

#[test]
fn a_new_ring_signs_with_its_first_key_at_once() {
    let ring = Keyring::start_at(at(T0), &demo_result()).unwrap();
    let current = ring.current();
    assert_eq!(current.kid(), &kid(DEMO_KID));
    assert_eq!(current.state(), KeyState::Current);
    assert_eq!(current.created_at(), at(T0));
    assert_eq!(current.promoted_at(), Some(at(T0)));
    assert_eq!(current.demoted_at(), None);
    assert_eq!(ring.next(), None);
    let token = ring
        .signer()
        .mint_at(at(T0), &video(), &TokenOptions::default())
        .unwrap();
    assert_eq!(token.kid(), &kid(DEMO_KID));
    assert_eq!(token.exp(), T0 + H);
}

#[test]
fn the_signer_refuses_tokens_that_outlive_the_ring() {
    let mut ring = two_key_ring();
    ring.set_max_token_lifetime(Duration::from_secs(2 * H as u64))
        .unwrap();
    let signer = ring.signer();
    let e = signer
        .mint_at(at(T0), &video(), &lifetime(2 * H as u64 + 1))
        .unwrap_err();
    assert_eq!(
        e.kind(),
        &ErrorKind::TokenOutlivesRing {
            exp: T0 + 2 * H + 1,
            max: T0 + 2 * H
        }
    );
    assert!(e.is_policy());
    assert_eq!(
        signer
            .mint_at(at(T0), &video(), &lifetime(2 * H as u64))
            .unwrap()
            .exp(),
        T0 + 2 * H
    );
    // The 24-hour cap still holds underneath.
    let e = Keyring::start_at(at(T0), &demo_result())
        .unwrap()
        .signer()
        .mint_at(
            at(T0),
            &video(),
            &TokenOptions::builder()
                .expires_at(at(T0 + 24 * H + 1))
                .build()
                .unwrap(),
        )
        .unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::ExpiryTooFar { .. }), "{e:?}");
}

#[test]
fn max_token_lifetime_is_one_second_to_a_day_in_whole_seconds() {
    let mut ring = two_key_ring();
    assert_eq!(ring.max_token_lifetime(), Duration::from_secs(86_400));
    for bad in [Duration::ZERO, Duration::from_secs(86_401)] {
        assert_eq!(
            ring.set_max_token_lifetime(bad).unwrap_err().kind(),
            &ErrorKind::InvalidConfig {
                what: "max_token_lifetime: 1 s to 24 h"
            }
        );
    }
    assert_eq!(
        ring.set_max_token_lifetime(Duration::from_millis(1500))
            .unwrap_err()
            .kind(),
        &ErrorKind::InvalidDuration {
            what: "max_token_lifetime"
        }
    );
}

#[test]
fn margin_and_min_age_are_whole_seconds_up_to_30_days() {
    const DAYS_30: u64 = 30 * 86_400;
    let mut ring = two_key_ring();
    ring.set_margin(Duration::from_secs(DAYS_30)).unwrap();
    ring.set_min_age(Duration::from_secs(DAYS_30)).unwrap();
    assert_eq!(ring.margin(), Duration::from_secs(DAYS_30));
    assert_eq!(ring.min_age(), Duration::from_secs(DAYS_30));
    assert_eq!(
        ring.set_margin(Duration::from_secs(DAYS_30 + 1))
            .unwrap_err()
            .kind(),
        &ErrorKind::InvalidConfig {
            what: "margin: at most 30 days"
        }
    );
    assert_eq!(
        ring.set_min_age(Duration::from_secs(DAYS_30 + 1))
            .unwrap_err()
            .kind(),
        &ErrorKind::InvalidConfig {
            what: "min_age: at most 30 days"
        }
    );
    assert_eq!(
        ring.set_margin(Duration::from_millis(1500))
            .unwrap_err()
            .kind(),
        &ErrorKind::InvalidDuration { what: "margin" }
    );
    assert_eq!(
        ring.set_min_age(Duration::from_millis(1500))
            .unwrap_err()
            .kind(),
        &ErrorKind::InvalidDuration { what: "min_age" }
    );
    // A refused setting leaves the one before it.
    assert_eq!(ring.margin(), Duration::from_secs(DAYS_30));
    assert_eq!(ring.min_age(), Duration::from_secs(DAYS_30));
    ring.set_margin(Duration::ZERO).unwrap();
    ring.set_min_age(Duration::ZERO).unwrap();
    assert_eq!(
        (ring.margin(), ring.min_age()),
        (Duration::ZERO, Duration::ZERO)
    );
}

#[test]
fn key_states_display_as_the_document_names_them() {
    let names: Vec<String> = [KeyState::Next, KeyState::Current, KeyState::Previous]
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(names, ["next", "current", "previous"]);
}

#[test]
fn the_verifier_takes_any_key_of_the_ring_by_kid() {
    let mut ring = two_key_ring();
    let old = ring
        .signer()
        .mint_at(at(T0), &video(), &TokenOptions::default())
        .unwrap();
    ring.promote_at(at(T0 + H)).unwrap();
    let new = ring
        .signer()
        .mint_at(at(T0 + H), &video(), &TokenOptions::default())
        .unwrap();
    assert_eq!(new.kid(), &kid(OTHER_KID));
    let v = ring.verifier();
    assert_eq!(
        v.verify_at(old.as_str(), at(T0 + 10)).unwrap().kid(),
        &kid(DEMO_KID)
    );
    assert_eq!(
        v.verify_at(new.as_str(), at(T0 + H)).unwrap().kid(),
        &kid(OTHER_KID)
    );
    // Times are still checked by the chosen key's verifier.
    assert_eq!(
        v.verify_at(old.as_str(), at(T0 + H)).unwrap_err().kind(),
        &ErrorKind::Expired {
            exp: T0 + H,
            now: T0 + H
        }
    );
}

#[test]
fn an_unknown_kid_is_its_own_error() {
    let ring = Keyring::start_at(at(T0), &demo_result()).unwrap();
    let foreign = other_signer()
        .mint_at(at(T0), &video(), &TokenOptions::default())
        .unwrap();
    let e = ring
        .verifier()
        .verify_at(foreign.as_str(), at(T0))
        .unwrap_err();
    assert_eq!(
        e.kind(),
        &ErrorKind::UnknownKey {
            kid: OTHER_KID.to_owned()
        }
    );
    assert!(e.is_verification());
    assert!(matches!(
        ring.verifier()
            .verify_at("not.a.token", at(T0))
            .unwrap_err()
            .kind(),
        ErrorKind::MalformedToken { .. }
    ));
}

#[test]
fn promotion_waits_for_the_minimum_age() {
    let mut ring = two_key_ring();
    assert_eq!(ring.min_age(), Duration::from_secs(3600));
    assert_eq!(ring.promotable_from(), Some(at(T0 + H)));
    assert_eq!(
        ring.promote_at(at(T0 + H - 1)).unwrap_err().kind(),
        &ErrorKind::KeyTooYoung {
            kid: OTHER_KID.to_owned(),
            ready_at: T0 + H
        }
    );
    assert_eq!(ring.current().kid(), &kid(DEMO_KID));
    assert_eq!(ring.promote_at(at(T0 + H)).unwrap(), kid(OTHER_KID));
    let keys = ring.keys();
    assert_eq!(keys.len(), 2);
    let old = ring.key(&kid(DEMO_KID)).unwrap();
    assert_eq!(old.state(), KeyState::Previous);
    assert_eq!(old.demoted_at(), Some(at(T0 + H)));
    let new = ring.current();
    assert_eq!(new.kid(), &kid(OTHER_KID));
    assert_eq!(new.created_at(), at(T0));
    assert_eq!(new.promoted_at(), Some(at(T0 + H)));
    assert_eq!(
        ring.promote_at(at(T0 + 2 * H)).unwrap_err().kind(),
        &ErrorKind::NoNextKey
    );
    let mut quick = two_key_ring();
    quick.set_min_age(Duration::ZERO).unwrap();
    assert_eq!(quick.promote_at(at(T0)).unwrap(), kid(OTHER_KID));
}

#[test]
fn only_one_next_key_at_a_time() {
    let mut ring = two_key_ring();
    assert_eq!(
        ring.add_next_at(at(T0), &demo_result()).unwrap_err().kind(),
        &ErrorKind::NextKeyExists {
            kid: OTHER_KID.to_owned()
        }
    );
    let mut single = Keyring::start_at(at(T0), &demo_result()).unwrap();
    assert_eq!(
        single
            .add_next_at(at(T0), &demo_result())
            .unwrap_err()
            .kind(),
        &ErrorKind::InvalidKeyring {
            reason: "a key id appears twice"
        }
    );
}

#[test]
fn the_horizon_is_demotion_plus_lifetime_plus_margin() {
    let mut ring = two_key_ring();
    ring.set_max_token_lifetime(Duration::from_secs(2 * H as u64))
        .unwrap();
    ring.set_margin(Duration::from_secs(600)).unwrap();
    assert_eq!(ring.horizon(&kid(DEMO_KID)), None, "current keys have none");
    ring.promote_at(at(T0 + H)).unwrap();
    let horizon = T0 + H + 2 * H + 600;
    assert_eq!(ring.horizon(&kid(DEMO_KID)), Some(at(horizon)));
    assert_eq!(ring.horizon(&kid(OTHER_KID)), None);
    assert!(ring.retirable_at(at(horizon - 1)).is_empty());
    assert_eq!(ring.retirable_at(at(horizon)), vec![kid(DEMO_KID)]);
    assert_eq!(
        ring.retire_at(at(horizon - 1), &kid(DEMO_KID))
            .unwrap_err()
            .kind(),
        &ErrorKind::RetireTooEarly {
            kid: DEMO_KID.to_owned(),
            safe_at: horizon
        }
    );
    assert_eq!(
        ring.retire_at(at(horizon), &kid(OTHER_KID))
            .unwrap_err()
            .kind(),
        &ErrorKind::NotInKeyring {
            kid: OTHER_KID.to_owned()
        }
    );
    ring.retire_at(at(horizon), &kid(DEMO_KID)).unwrap();
    assert_eq!(ring.keys().len(), 1);
    assert_eq!(ring.key(&kid(DEMO_KID)), None);
}

#[test]
fn the_default_margin_is_an_hour() {
    let mut ring = two_key_ring();
    assert_eq!(ring.margin(), Duration::from_secs(3600));
    ring.promote_at(at(T0 + H)).unwrap();
    assert_eq!(ring.horizon(&kid(DEMO_KID)), Some(at(T0 + H + 24 * H + H)));
}

#[test]
fn revoking_the_current_key_promotes_the_next_at_once() {
    let mut ring = two_key_ring();
    // Younger than the minimum age: a leak does not wait.
    assert_eq!(
        ring.revoke_at(at(T0 + 1), &kid(DEMO_KID)).unwrap(),
        kid(OTHER_KID)
    );
    assert_eq!(ring.keys().len(), 1);
    assert_eq!(ring.current().kid(), &kid(OTHER_KID));
    assert_eq!(ring.current().promoted_at(), Some(at(T0 + 1)));
    assert_eq!(
        ring.revoke_at(at(T0 + 2), &kid(OTHER_KID))
            .unwrap_err()
            .kind(),
        &ErrorKind::LastSigningKey {
            kid: OTHER_KID.to_owned()
        }
    );
    assert_eq!(
        ring.revoke_at(at(T0 + 2), &kid(DEMO_KID))
            .unwrap_err()
            .kind(),
        &ErrorKind::NotInKeyring {
            kid: DEMO_KID.to_owned()
        }
    );
}

#[test]
fn revoking_a_previous_key_keeps_the_current_one() {
    let mut ring = two_key_ring();
    ring.promote_at(at(T0 + H)).unwrap();
    assert_eq!(
        ring.revoke_at(at(T0 + H), &kid(DEMO_KID)).unwrap(),
        kid(OTHER_KID)
    );
    assert_eq!(ring.keys().len(), 1);
}

#[test]
fn reconcile_finds_orphans_and_missing_keys() {
    let ring = two_key_ring();
    let orphan = kid("ffffffffffffffffffffffffffffffff");
    let r: Reconciliation = ring.reconcile(&[kid(DEMO_KID), orphan]);
    assert_eq!(r.orphans(), &[orphan]);
    assert_eq!(r.missing(), &[kid(OTHER_KID)]);
    assert_eq!(r.remote_count(), 2);
    assert_eq!(r.headroom(), 998);
    let clean = ring.reconcile(&[kid(OTHER_KID), kid(DEMO_KID)]);
    assert!(clean.orphans().is_empty() && clean.missing().is_empty());
}

#[test]
fn the_jwks_holds_every_public_half() {
    let ring = two_key_ring();
    let jwks: serde_json::Value = serde_json::from_str(&ring.to_jwks_json()).unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0]["kid"], DEMO_KID);
    assert_eq!(keys[1]["kid"], OTHER_KID);
    for k in keys {
        assert_eq!(k["alg"], "RS256");
        assert!(k.get("d").is_none(), "a private member in the JWKS");
    }
    // Each entry verifies the key's tokens.
    let token = ring
        .signer()
        .mint_at(at(T0), &video(), &TokenOptions::default())
        .unwrap();
    let v = Verifier::parse(keys[0].to_string(), None).unwrap();
    assert_eq!(
        v.verify_at(token.as_str(), at(T0)).unwrap().kid(),
        &kid(DEMO_KID)
    );
}

#[test]
fn the_document_round_trips_with_the_keys_byte_for_byte() {
    let mut ring = two_key_ring();
    ring.set_margin(Duration::from_secs(120)).unwrap();
    ring.promote_at(at(T0 + H)).unwrap();
    let doc = ring.secret_document().unwrap();
    let value: serde_json::Value = serde_json::from_str(&doc).unwrap();
    assert_eq!(value["version"], 1);
    assert_eq!(value["max_token_lifetime"], 86_400);
    assert_eq!(value["margin"], 120);
    assert_eq!(value["min_age"], 3600);
    assert_eq!(value["keys"][0]["state"], "previous");
    assert_eq!(value["keys"][0]["created_at"], "2027-01-15T08:00:00Z");
    assert_eq!(value["keys"][0]["demoted_at"], "2027-01-15T09:00:00Z");
    assert_eq!(value["keys"][1]["state"], "current");
    assert_eq!(value["keys"][1]["promoted_at"], "2027-01-15T09:00:00Z");
    assert_eq!(value["keys"][1]["demoted_at"], serde_json::Value::Null);
    // The saved create-key result is in the document exactly as it came.
    assert!(doc.contains(demo_result().trim()));
    assert!(doc.contains(other_jwk().trim()));
    let back = Keyring::from_document(&doc).unwrap();
    assert_eq!(back.keys(), ring.keys());
    assert_eq!(back.margin(), Duration::from_secs(120));
    assert_eq!(*back.secret_document().unwrap(), *doc);
}

fn doc_with(keys: &[(&str, &str)]) -> String {
    let entries: Vec<String> = keys
        .iter()
        .map(|(state, key)| {
            format!(
                r#"{{"state":"{state}","created_at":"2027-01-15T08:00:00Z","promoted_at":"2027-01-15T08:00:00Z","demoted_at":"2027-01-15T09:00:00Z","key":{key}}}"#
            )
        })
        .collect();
    format!(
        r#"{{"version":1,"max_token_lifetime":86400,"keys":[{}]}}"#,
        entries.join(",")
    )
}

#[test]
fn loading_checks_the_invariants() {
    let demo = demo_result();
    let other = other_jwk();
    let reason = |doc: &str| match Keyring::from_document(doc).unwrap_err().into_kind() {
        ErrorKind::InvalidKeyring { reason } => reason,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        reason(&doc_with(&[("previous", &demo), ("next", &other)])),
        "a keyring needs exactly one current key"
    );
    assert_eq!(
        reason(&doc_with(&[("current", &demo), ("current", &other)])),
        "a keyring needs exactly one current key"
    );
    assert_eq!(
        reason(&doc_with(&[("current", &demo), ("previous", &demo)])),
        "a key id appears twice"
    );
    assert_eq!(
        reason(&doc_with(&[("current", &demo), ("pending", &other)])),
        "a key's state is not next, current or previous"
    );
    assert_eq!(
        reason(&doc_with(&[("current", &demo)]).replace(r#""version":1"#, r#""version":2"#)),
        "unsupported schema version (this crate reads 1)"
    );
    assert_eq!(
        reason(&doc_with(&[("current", &demo)]).replace("86400", "86401")),
        "max_token_lifetime must be 1 to 86400 seconds"
    );
    assert_eq!(
        reason("{\"version\":1"),
        "not a keyring document (JSON of schema version 1)"
    );
    // The times a state implies must be there (the previous key's
    // demoted_at is what its verify window counts from); a next key needs
    // neither, and a current key no demoted_at.
    let without = |states: [&str; 2], drop: &[(usize, &str)]| {
        let mut doc: serde_json::Value =
            serde_json::from_str(&doc_with(&[(states[0], &demo), (states[1], &other)])).unwrap();
        for (index, field) in drop {
            doc["keys"][index]
                .as_object_mut()
                .unwrap()
                .remove(*field)
                .unwrap();
        }
        doc.to_string()
    };
    assert_eq!(
        reason(&without(["current", "next"], &[(0, "promoted_at")])),
        "the current key has no promoted_at"
    );
    assert_eq!(
        reason(&without(["current", "previous"], &[(1, "demoted_at")])),
        "a previous key has no demoted_at"
    );
    assert_eq!(
        reason(&doc_with(&[("current", &demo)]).replace("2027-01-15T09:00:00Z", "yesterday")),
        "a key's time is not an RFC 3339 date-time"
    );
    let bare = without(
        ["current", "next"],
        &[(0, "demoted_at"), (1, "promoted_at"), (1, "demoted_at")],
    );
    let ring = Keyring::from_document(&bare).unwrap();
    assert_eq!(ring.current().promoted_at(), Some(at(T0)));
    assert_eq!(ring.current().demoted_at(), None);
    assert_eq!(ring.next().unwrap().promoted_at(), None);
    assert_eq!(ring.next().unwrap().demoted_at(), None);
    let ok = Keyring::from_document(&doc_with(&[("current", &demo), ("next", &other)])).unwrap();
    assert_eq!(ok.next().unwrap().kid(), &kid(OTHER_KID));
}

#[test]
fn a_key_that_does_not_load_is_named_by_position() {
    let public = text("demo/demo_public.jwk.json");
    let doc = doc_with(&[("current", &demo_result()), ("next", &public)]);
    assert_eq!(
        Keyring::from_document(&doc).unwrap_err().kind(),
        &ErrorKind::KeyringKeyUnusable {
            index: 1,
            cause: Box::new(ErrorKind::PublicKeyOnly)
        }
    );
}

#[test]
fn from_env_reads_the_document_itself() {
    let doc = two_key_ring().secret_document().unwrap();
    let ring =
        Keyring::from_env_with(|name| (name == "CF_STREAM_KEYRING").then(|| doc.to_string()))
            .unwrap();
    assert_eq!(ring.keys().len(), 2);
    assert_eq!(
        Keyring::from_env_with(|_| None).unwrap_err().kind(),
        &ErrorKind::MissingConfig {
            name: "CF_STREAM_KEYRING"
        }
    );
}

#[test]
fn debug_shows_kids_and_states_only() {
    let ring = two_key_ring();
    assert_eq!(
        format!("{ring:?}"),
        format!(r#"Keyring {{ keys: {{"{DEMO_KID}": Current, "{OTHER_KID}": Next}}, .. }}"#)
    );
    assert_eq!(
        format!("{:?}", ring.signer()),
        format!(r#"KeyringSigner {{ kid: "{DEMO_KID}", max_lifetime_secs: 86400, .. }}"#)
    );
    assert_eq!(
        format!("{:?}", ring.verifier()),
        format!(r#"Verifier {{ kids: ["{DEMO_KID}", "{OTHER_KID}"], leeway_secs: 0 }}"#)
    );
}

#[test]
fn errors_about_a_document_never_quote_it() {
    let demo = demo_result();
    let broken = doc_with(&[("current", &demo)]).replace(r#""version":1"#, r#""version":"x""#);
    let e = Keyring::from_document(&broken).unwrap_err();
    let shown = format!("{e} {e:?}");
    for secret in demo_secrets() {
        assert!(!shown.contains(&secret), "{shown}");
    }
    assert!(!shown.contains("LS0t"), "{shown}");
    let unused: KeyId = kid(DEMO_KID);
    assert!(!shown.contains(unused.as_str()));
}

// Issue 19: the maximum token lifetime lowered on a ring in use, the
// ring's account, and rings read from files.

const ACCT: &str = "023e105f4ecef8ad9ca31a8372d0c353";
const OTHER_ACCT: &str = "99999999999999999999999999999999";

fn account(s: &str) -> cf_stream_token::AccountId {
    cf_stream_token::AccountId::new(s).unwrap()
}

#[test]
fn lowering_the_lifetime_keeps_the_horizon_for_tokens_already_signed() {
    let mut ring = two_key_ring();
    ring.promote_at(at(T0 + H)).unwrap();
    assert_eq!(ring.old_tokens_expire_by(), None);
    assert_eq!(ring.horizon(&kid(DEMO_KID)), Some(at(T0 + H + 24 * H + H)));
    // Lowered from 24 h to 2 h at T0 + 2 h: tokens signed just before may
    // live until T0 + 26 h, so the horizon is that + the margin, not
    // demoted at + 2 h + the margin.
    ring.change_max_token_lifetime_at(at(T0 + 2 * H), Duration::from_secs(2 * H as u64))
        .unwrap();
    assert_eq!(ring.max_token_lifetime(), Duration::from_secs(2 * H as u64));
    assert_eq!(ring.old_tokens_expire_by(), Some(at(T0 + 26 * H)));
    assert_eq!(ring.horizon(&kid(DEMO_KID)), Some(at(T0 + 27 * H)));
    assert!(ring.retirable_at(at(T0 + 27 * H - 1)).is_empty());
    assert_eq!(
        ring.retire_at(at(T0 + 27 * H - 1), &kid(DEMO_KID))
            .unwrap_err()
            .kind(),
        &ErrorKind::RetireTooEarly {
            kid: DEMO_KID.to_owned(),
            safe_at: T0 + 27 * H
        }
    );
    assert_eq!(ring.retirable_at(at(T0 + 27 * H)), vec![kid(DEMO_KID)]);
}

#[test]
fn a_key_demoted_after_the_old_tokens_expire_keeps_its_own_horizon() {
    let mut ring = two_key_ring();
    ring.change_max_token_lifetime_at(at(T0), Duration::from_secs(2 * H as u64))
        .unwrap();
    assert_eq!(ring.old_tokens_expire_by(), Some(at(T0 + 24 * H)));
    // Demoted at T0 + 30 h: its own 2 h + margin is later than T0 + 24 h.
    ring.promote_at(at(T0 + 30 * H)).unwrap();
    assert_eq!(ring.horizon(&kid(DEMO_KID)), Some(at(T0 + 33 * H)));
}

#[test]
fn raising_or_keeping_the_lifetime_records_nothing_and_lowering_again_keeps_the_later_time() {
    let mut ring = two_key_ring();
    ring.change_max_token_lifetime_at(at(T0), Duration::from_secs(24 * H as u64))
        .unwrap();
    assert_eq!(ring.old_tokens_expire_by(), None, "the same lifetime");
    ring.change_max_token_lifetime_at(at(T0), Duration::from_secs(2 * H as u64))
        .unwrap();
    assert_eq!(ring.old_tokens_expire_by(), Some(at(T0 + 24 * H)));
    // Raised: nothing new to record, the old time stays.
    ring.change_max_token_lifetime_at(at(T0 + H), Duration::from_secs(10 * H as u64))
        .unwrap();
    assert_eq!(
        ring.max_token_lifetime(),
        Duration::from_secs(10 * H as u64)
    );
    assert_eq!(ring.old_tokens_expire_by(), Some(at(T0 + 24 * H)));
    // Lowered again: T0 + 2 h + 10 h is earlier than what is recorded.
    ring.change_max_token_lifetime_at(at(T0 + 2 * H), Duration::from_secs(H as u64))
        .unwrap();
    assert_eq!(ring.old_tokens_expire_by(), Some(at(T0 + 24 * H)));
    // Raised, then lowered late: T0 + 20 h + 10 h is later.
    ring.change_max_token_lifetime_at(at(T0 + 3 * H), Duration::from_secs(10 * H as u64))
        .unwrap();
    ring.change_max_token_lifetime_at(at(T0 + 20 * H), Duration::from_secs(H as u64))
        .unwrap();
    assert_eq!(ring.old_tokens_expire_by(), Some(at(T0 + 30 * H)));
}

#[test]
fn a_refused_lifetime_change_leaves_the_ring_as_it_was() {
    let mut ring = two_key_ring();
    for bad in [Duration::ZERO, Duration::from_millis(1500)] {
        assert!(ring.change_max_token_lifetime_at(at(T0), bad).is_err());
        assert_eq!(ring.max_token_lifetime(), Duration::from_secs(86_400));
        assert_eq!(ring.old_tokens_expire_by(), None);
    }
    assert_eq!(
        ring.change_max_token_lifetime_at(at(T0), Duration::from_secs(86_401))
            .unwrap_err()
            .kind(),
        &ErrorKind::InvalidConfig {
            what: "max_token_lifetime: 1 s to 24 h"
        }
    );
}

#[test]
fn a_ring_records_one_account() {
    let mut ring = two_key_ring();
    assert_eq!(ring.account_id(), None);
    ring.check_account(&account(OTHER_ACCT)).unwrap();
    ring.bind_account(&account(ACCT)).unwrap();
    assert_eq!(ring.account_id(), Some(&account(ACCT)));
    ring.check_account(&account(ACCT)).unwrap();
    ring.bind_account(&account(ACCT)).unwrap();
    let mismatch = ErrorKind::KeyringAccountMismatch {
        ring: ACCT.to_owned(),
        given: OTHER_ACCT.to_owned(),
    };
    assert_eq!(
        ring.check_account(&account(OTHER_ACCT)).unwrap_err().kind(),
        &mismatch
    );
    let e = ring.bind_account(&account(OTHER_ACCT)).unwrap_err();
    assert_eq!(e.kind(), &mismatch);
    assert_eq!(
        e.to_string(),
        format!("the keyring holds keys of account {ACCT}, not of account {OTHER_ACCT}")
    );
    assert_eq!(ring.account_id(), Some(&account(ACCT)));
}

#[test]
fn the_new_members_round_trip_and_old_documents_load() {
    let old = two_key_ring().secret_document().unwrap();
    assert!(!old.contains("account_id"), "{}", old.len());
    assert!(!old.contains("old_tokens_expire_by"));
    let back = Keyring::from_document(&old).unwrap();
    assert_eq!(back.account_id(), None);
    assert_eq!(back.old_tokens_expire_by(), None);

    let mut ring = two_key_ring();
    ring.bind_account(&account(ACCT)).unwrap();
    ring.change_max_token_lifetime_at(at(T0), Duration::from_secs(H as u64))
        .unwrap();
    let doc = ring.secret_document().unwrap();
    let value: serde_json::Value = serde_json::from_str(&doc).unwrap();
    assert_eq!(value["account_id"], ACCT);
    assert_eq!(value["old_tokens_expire_by"], "2027-01-16T08:00:00Z");
    assert_eq!(value["max_token_lifetime"], 3600);
    let back = Keyring::from_document(&doc).unwrap();
    assert_eq!(back.account_id(), Some(&account(ACCT)));
    assert_eq!(back.old_tokens_expire_by(), Some(at(T0 + 24 * H)));
    assert_eq!(*back.secret_document().unwrap(), *doc);

    let reason = |doc: &str| match Keyring::from_document(doc).unwrap_err().into_kind() {
        ErrorKind::InvalidKeyring { reason } => reason,
        other => panic!("{other:?}"),
    };
    let bad_account = doc.replace(ACCT, "not an account");
    assert_eq!(reason(&bad_account), "account_id is not an account id");
    let bad_time = doc.replace("2027-01-16T08:00:00Z", "tomorrow");
    assert_eq!(
        reason(&bad_time),
        "old_tokens_expire_by is not an RFC 3339 date-time"
    );
}

// Keyring::from_file is of feature `api`.
#[cfg(feature = "api")]
#[test]
fn rings_are_read_from_files_of_up_to_8_mib() {
    use cf_stream_token::KEYRING_FILE_LIMIT;
    assert_eq!(KEYRING_FILE_LIMIT, 8 * 1024 * 1024);
    let dir = crate::common::Scratch::new("cf-stream-token-ring-file");
    let doc = two_key_ring().secret_document().unwrap();
    // Whitespace is JSON: a document padded to exactly the limit loads.
    let mut padded = doc.as_bytes().to_vec();
    padded.resize(KEYRING_FILE_LIMIT as usize, b' ');
    let path = dir.join("ring.json");
    std::fs::write(&path, &padded).unwrap();
    assert_eq!(Keyring::from_file(&path).unwrap().keys().len(), 2);
    padded.push(b' ');
    std::fs::write(&path, &padded).unwrap();
    let e = Keyring::from_file(&path).unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::KeyringFileTooLarge);
    assert!(
        e.to_string()
            .starts_with("the keyring file is larger than 8 MiB"),
        "{e}"
    );
    assert_eq!(
        Keyring::from_file(dir.join("missing.json"))
            .unwrap_err()
            .kind(),
        &ErrorKind::KeyringFileUnreadable {
            io: std::io::ErrorKind::NotFound
        }
    );
    std::fs::write(&path, b"{\"version\":1,\xff}").unwrap();
    assert_eq!(
        Keyring::from_file(&path).unwrap_err().kind(),
        &ErrorKind::InvalidKeyring {
            reason: "the file is not UTF-8"
        }
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn every_change_raises_the_serial_and_the_document_keeps_it() {
    let mut ring = Keyring::start_at(at(T0), &demo_result()).unwrap();
    assert_eq!(ring.serial(), 0);
    // Left out while 0: a ring never changed writes what it always wrote.
    let doc = ring.secret_document().unwrap();
    assert!(!doc.contains("\"serial\""), "{}", ring.serial());
    ring.add_next_at(at(T0), &other_jwk()).unwrap();
    assert_eq!(ring.serial(), 1);
    ring.set_margin(Duration::from_secs(7200)).unwrap();
    ring.set_min_age(Duration::from_secs(600)).unwrap();
    assert_eq!(ring.serial(), 3);
    // A refused change changes nothing.
    assert!(ring.promote_at(at(T0)).is_err());
    assert_eq!(ring.serial(), 3);
    ring.promote_at(at(T0 + H)).unwrap();
    assert_eq!(ring.serial(), 4);
    ring.retire_at(at(T0 + 40 * H), &kid(DEMO_KID)).unwrap();
    assert_eq!(ring.serial(), 5);

    let doc = ring.secret_document().unwrap();
    let value: serde_json::Value = serde_json::from_str(&doc).unwrap();
    assert_eq!(value["serial"], 5);
    let back = Keyring::from_document(&doc).unwrap();
    assert_eq!(back.serial(), 5);
    assert_eq!(*back.secret_document().unwrap(), *doc);
}

#[test]
fn the_reload_bound_delays_promotion_and_the_margin_must_cover_it() {
    let mut ring = two_key_ring();
    assert_eq!(ring.reload_bound(), None);
    let e = ring
        .set_reload_bound(Duration::from_secs(2 * H as u64))
        .unwrap_err();
    assert!(
        matches!(
            e.kind(),
            ErrorKind::MarginBelowReloadBound {
                margin: 3600,
                bound: 7200
            }
        ),
        "{e:?}"
    );
    assert_eq!(ring.reload_bound(), None);
    ring.set_margin(Duration::from_secs(3 * H as u64)).unwrap();
    ring.set_reload_bound(Duration::from_secs(2 * H as u64))
        .unwrap();
    assert_eq!(ring.reload_bound(), Some(Duration::from_secs(7200)));
    assert!(matches!(
        ring.set_margin(Duration::from_secs(H as u64))
            .unwrap_err()
            .kind(),
        ErrorKind::MarginBelowReloadBound {
            margin: 3600,
            bound: 7200
        }
    ));
    assert!(matches!(
        ring.set_reload_bound(Duration::from_millis(1500))
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidDuration { .. }
    ));

    // Equal to the margin is enough; at most 30 days.
    ring.set_reload_bound(Duration::from_secs(3 * H as u64))
        .unwrap();
    let month = Duration::from_secs(30 * 86_400);
    let mut wide = two_key_ring();
    wide.set_margin(month + Duration::from_secs(0)).unwrap();
    wide.set_reload_bound(month).unwrap();
    assert!(matches!(
        wide.set_reload_bound(month + Duration::from_secs(1))
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidConfig {
            what: "reload_bound: at most 30 days"
        }
    ));
    assert_eq!(wide.reload_bound(), Some(month));
    ring.set_reload_bound(Duration::from_secs(2 * H as u64))
        .unwrap();

    // The minimum age is 1 h, the bound 2 h: promotion waits for the bound.
    assert_eq!(ring.promotable_from(), Some(at(T0 + 2 * H)));
    match ring.promote_at(at(T0 + H)).unwrap_err().into_kind() {
        ErrorKind::KeyTooYoung { ready_at, .. } => assert_eq!(ready_at, T0 + 2 * H),
        other => panic!("{other:?}"),
    }
    // A longer minimum age still wins.
    ring.set_min_age(Duration::from_secs(3 * H as u64)).unwrap();
    assert_eq!(ring.promotable_from(), Some(at(T0 + 3 * H)));
    ring.set_min_age(Duration::from_secs(0)).unwrap();
    assert_eq!(ring.promote_at(at(T0 + 2 * H)).unwrap(), kid(OTHER_KID));

    let doc = ring.secret_document().unwrap();
    let value: serde_json::Value = serde_json::from_str(&doc).unwrap();
    assert_eq!(value["reload_bound"], 7200);
    let back = Keyring::from_document(&doc).unwrap();
    assert_eq!(back.reload_bound(), Some(Duration::from_secs(7200)));

    // A document whose margin is under its bound does not load.
    let broken = doc.replace("\"margin\":10800", "\"margin\":60");
    assert!(matches!(
        Keyring::from_document(&broken).unwrap_err().kind(),
        ErrorKind::InvalidKeyring {
            reason: "reload_bound must be at most 30 days and the margin"
        }
    ));
}

#[test]
fn a_rollback_supersedes_the_serial_in_force() {
    let mut old = two_key_ring();
    assert_eq!(old.serial(), 1);
    old.supersede(7);
    assert_eq!(old.serial(), 8);
    // Never lowers it.
    old.supersede(0);
    assert_eq!(old.serial(), 9);
}
