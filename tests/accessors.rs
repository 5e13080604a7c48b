//! Public accessors that no other test read: the value each returns, for
//! each shape of its input (issue 15, TESTING.md).

use std::time::Duration;

use cf_stream_token::{AccessRule, Action, CountryCode, IpNetwork, TokenOptions, Verifier};

use crate::common::*;

#[test]
fn expires_at_unix_is_the_absolute_expiry_only() {
    let opts = TokenOptions::builder()
        .expires_at(at(NOW + 600))
        .build()
        .unwrap();
    assert_eq!(opts.expires_at_unix(), Some(NOW + 600));
    assert_eq!(opts.lifetime_secs(), None);

    let relative = TokenOptions::builder()
        .lifetime(Duration::from_secs(7200))
        .build()
        .unwrap();
    assert_eq!(relative.expires_at_unix(), None);
    assert_eq!(relative.lifetime_secs(), Some(7200));
    assert_eq!(TokenOptions::default().expires_at_unix(), None);

    // The later call wins, either way round.
    let back = opts.to_builder().lifetime(Duration::from_secs(60)).build();
    assert_eq!(back.unwrap().expires_at_unix(), None);
    let again = relative.to_builder().expires_at(at(NOW + 1)).build();
    assert_eq!(again.unwrap().expires_at_unix(), Some(NOW + 1));
}

#[test]
fn not_before_is_nbf_as_a_date_time() {
    let signer = demo_signer();
    let verifier: Verifier = signer.verifier();
    let opts = TokenOptions::builder()
        .backdate_not_before(Duration::from_secs(3600))
        .build()
        .unwrap();
    let token = signer.mint_at(at(NOW), &video(), &opts).unwrap();
    assert_eq!(token.claims().nbf(), Some(NOW - 3600));
    assert_eq!(token.claims().not_before(), Some(at(NOW - 3600)));
    let claims = verifier.verify_at(token.as_str(), at(NOW)).unwrap();
    assert_eq!(claims.not_before(), Some(at(NOW - 3600)));
    assert_eq!(claims.expires_at(), at(NOW + 3600));

    let absolute = TokenOptions::builder()
        .not_before(at(NOW + 5))
        .build()
        .unwrap();
    let token = signer.mint_at(at(NOW), &video(), &absolute).unwrap();
    assert_eq!(token.claims().not_before(), Some(at(NOW + 5)));

    let plain = signer
        .mint_at(at(NOW), &video(), &TokenOptions::default())
        .unwrap();
    assert_eq!(plain.claims().not_before(), None);
    let claims = verifier.verify_at(plain.as_str(), at(NOW)).unwrap();
    assert_eq!(claims.not_before(), None);
}

#[test]
fn country_codes_read_as_their_two_letters() {
    assert_eq!(CountryCode::TOR.as_ref(), "T1");
    assert_eq!(CountryCode::UNKNOWN.as_ref(), "XX");
    assert_eq!(CountryCode::TOR.to_string(), "T1");
    assert_eq!(format!("{}", CountryCode::new("gb").unwrap()), "GB");
    let mx = CountryCode::new("mx").unwrap();
    let as_str: &str = mx.as_ref();
    assert_eq!(as_str, "MX");
    assert_eq!(format!("{:?}", CountryCode::TOR), "CountryCode(\"T1\")");
}

#[test]
fn a_country_rule_from_codes_equals_the_one_from_strings() {
    let from_code = AccessRule::countries(Action::Block, [CountryCode::TOR]).unwrap();
    let from_str = AccessRule::countries(Action::Block, ["T1"]).unwrap();
    assert_eq!(from_code, from_str);
    assert_eq!(
        serde_json::to_string(&from_code).unwrap(),
        r#"{"type":"ip.geoip.country","action":"block","country":["T1"]}"#
    );
    let codes = [CountryCode::new("gb").unwrap(), CountryCode::UNKNOWN];
    assert_eq!(
        AccessRule::countries(Action::Allow, codes).unwrap(),
        AccessRule::countries(Action::Allow, ["GB", "XX"]).unwrap()
    );
    let [allow, block] = AccessRule::allow_only_countries([CountryCode::TOR]).unwrap();
    assert_eq!(allow, AccessRule::countries(Action::Allow, ["T1"]).unwrap());
    assert_eq!(block, AccessRule::any(Action::Block));
}

#[test]
fn ip_networks_debug_as_written() {
    let net = IpNetwork::new("93.184.216.0/24").unwrap();
    assert_eq!(format!("{net:?}"), "IpNetwork(\"93.184.216.0/24\")");
    let addr = IpNetwork::new("2400:cb00::1").unwrap();
    assert_eq!(format!("{addr:?}"), "IpNetwork(\"2400:cb00::1\")");
    assert_eq!(format!("{:?}", [CountryCode::TOR]), "[CountryCode(\"T1\")]");
}

#[test]
fn resolve_at_gives_the_times_a_mint_would() {
    let backdated = TokenOptions::builder()
        .lifetime(Duration::from_secs(7200))
        .backdate_not_before(Duration::from_secs(60))
        .build()
        .unwrap();
    let times = |o: &TokenOptions| {
        let t = o.resolve_at(at(NOW)).unwrap();
        (t.exp, t.nbf)
    };
    assert_eq!(times(&backdated), (NOW + 7200, Some(NOW - 60)));
    assert_eq!(times(&TokenOptions::default()), (NOW + 3600, None));
    let token = demo_signer()
        .mint_at(at(NOW), &video(), &backdated)
        .unwrap();
    assert_eq!(
        (token.claims().exp(), token.claims().nbf()),
        times(&backdated)
    );
    // The same policy as minting: here, an absolute expiry already past.
    let past = TokenOptions::builder()
        .expires_at(at(NOW - 1))
        .build()
        .unwrap();
    assert_eq!(
        past.resolve_at(at(NOW)).unwrap_err().kind(),
        &cf_stream_token::ErrorKind::ExpiryNotInFuture {
            exp: NOW - 1,
            now: NOW
        }
    );
}
