//! Who may play: the access-rule decision for one viewer, as Cloudflare's
//! edge takes it, without a server.

use std::fmt;
use std::net::IpAddr;

use crate::claims::{Claims, TokenOptions};
use crate::rules::{AccessRule, Action, CountryCode};

/// A viewer as the edge sees one: the address (Cloudflare's
/// `CF-Connecting-IP`) and the geolocated country (`CF-IPCountry`; `XX`
/// when unknown, `T1` for Tor).
///
/// ```
/// use cf_stream_token::{CountryCode, Viewer};
/// let viewer = Viewer { ip: "2400:cb00::1".parse().unwrap(), country: CountryCode::new("GB")? };
/// assert_eq!(viewer.country.as_str(), "GB");
/// # Ok::<(), cf_stream_token::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Viewer {
    /// The viewer's address, IPv4 or IPv6.
    pub ip: IpAddr,
    /// The viewer's country.
    pub country: CountryCode,
}

/// The outcome of a token's access rules for one viewer: the action and the
/// rule that decided it.
///
/// Rules are evaluated first to last; the first that matches decides; when
/// none matches, the viewer is allowed ([`Decision::rule`] is `None`).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Decision {
    rule: Option<usize>,
    action: Action,
}

impl Decision {
    /// The matching rule's position, counted from 1; `None` when no rule
    /// matched (and the viewer is allowed).
    pub fn rule(&self) -> Option<usize> {
        self.rule
    }

    /// What happens: allow or block.
    pub fn action(&self) -> Action {
        self.action
    }

    /// Whether the viewer may play.
    pub fn is_allowed(&self) -> bool {
        self.action == Action::Allow
    }
}

impl fmt::Debug for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.rule {
            Some(n) => write!(f, "Decision({:?} by rule {n})", self.action),
            None => f.write_str("Decision(Allow, no rule matched)"),
        }
    }
}

/// The decision of `rules` for `viewer`: the one evaluation shared by
/// [`Claims::decide`], [`TokenOptions::decide`] and the emulator's edge.
fn decide_rules(rules: &[AccessRule], viewer: &Viewer) -> Decision {
    rules.iter().position(|rule| rule.matches(viewer)).map_or(
        Decision {
            rule: None,
            action: Action::Allow,
        },
        |i| Decision {
            rule: Some(i + 1),
            action: rules[i].action(),
        },
    )
}

impl AccessRule {
    /// Whether this rule matches `viewer` (whatever its action).
    ///
    /// An IPv4-mapped IPv6 address (`::ffff:1.2.3.4`) is matched as the IPv4
    /// address it carries, as a dual-stack listener reports IPv4 peers that
    /// way.
    pub fn matches(&self, viewer: &Viewer) -> bool {
        match self {
            AccessRule::Any { .. } => true,
            AccessRule::IpSrc { ip, .. } => {
                let addr = viewer.ip.to_canonical();
                ip.iter().any(|net| net.contains(addr))
            }
            AccessRule::Country { country, .. } => country.contains(&viewer.country),
        }
    }
}

impl Claims {
    /// Evaluate the token's access rules for `viewer`, as Cloudflare's edge
    /// does: first match decides, no match allows.
    ///
    /// ```
    /// use cf_stream_token::{AccessRule, Action, CountryCode, Signer, SigningKey, TokenOptions, VideoId, Viewer};
    /// use time::macros::datetime;
    ///
    /// let signer = Signer::new(SigningKey::parse(include_str!("../fixtures/demo/demo.jwk.json"), None)?);
    /// let opts = TokenOptions::builder()
    ///     .access_rules(AccessRule::allow_only_countries(["GB"])?)
    ///     .build()?;
    /// let video: VideoId = "ea95132c15732412d22c1476fa83f27a".parse()?;
    /// let token = signer.mint_at(datetime!(2026-11-22 12:00 UTC), &video, &opts)?;
    ///
    /// let ip = "203.0.113.7".parse().unwrap();
    /// let gb = token.claims().decide(&Viewer { ip, country: CountryCode::new("GB")? });
    /// assert!(gb.is_allowed());
    /// assert_eq!(gb.rule(), Some(1));
    /// let us = token.claims().decide(&Viewer { ip, country: CountryCode::new("US")? });
    /// assert_eq!((us.action(), us.rule()), (Action::Block, Some(2)));
    /// # Ok::<(), cf_stream_token::Error>(())
    /// ```
    pub fn decide(&self, viewer: &Viewer) -> Decision {
        decide_rules(self.access_rules(), viewer)
    }
}

impl TokenOptions {
    /// Evaluate these options' access rules for `viewer` before minting:
    /// the same decision as [`Claims::decide`] on the minted token.
    pub fn decide(&self, viewer: &Viewer) -> Decision {
        decide_rules(self.access_rules(), viewer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn viewer(ip: &str, country: &str) -> Viewer {
        Viewer {
            ip: ip.parse().unwrap(),
            country: CountryCode::new(country).unwrap(),
        }
    }

    #[test]
    fn no_rules_allow_with_no_rule() {
        let d = decide_rules(&[], &viewer("1.2.3.4", "US"));
        assert_eq!((d.action(), d.rule()), (Action::Allow, None));
        assert_eq!(format!("{d:?}"), "Decision(Allow, no rule matched)");
    }

    #[test]
    fn first_match_decides_and_is_counted_from_one() {
        let rules = [
            AccessRule::networks(Action::Block, ["10.0.0.0/8"]).unwrap(),
            AccessRule::countries(Action::Allow, ["GB"]).unwrap(),
            AccessRule::any(Action::Block),
        ];
        let d = decide_rules(&rules, &viewer("10.1.1.1", "GB"));
        assert_eq!((d.action(), d.rule()), (Action::Block, Some(1)));
        assert!(!d.is_allowed());
        assert_eq!(format!("{d:?}"), "Decision(Block by rule 1)");
        let d = decide_rules(&rules, &viewer("11.1.1.1", "GB"));
        assert_eq!((d.action(), d.rule()), (Action::Allow, Some(2)));
        assert!(d.is_allowed());
        let d = decide_rules(&rules, &viewer("11.1.1.1", "FR"));
        assert_eq!((d.action(), d.rule()), (Action::Block, Some(3)));
        assert!(!d.is_allowed());
    }

    #[test]
    fn mapped_ipv6_matches_its_ipv4_network() {
        let rule = AccessRule::networks(Action::Allow, ["192.0.2.0/24"]).unwrap();
        assert!(rule.matches(&viewer("::ffff:192.0.2.9", "XX")));
        assert!(!rule.matches(&viewer("::ffff:192.0.3.9", "XX")));
        assert!(!rule.matches(&viewer("2001:db8::1", "XX")));
    }
}
