//! Access rules: the `accessRules` claim.
//!
//! Each value in a rule is typed and checked when it is made, so a rule that
//! exists is one Cloudflare can read; the checks on a list as a whole (at most
//! five rules, nothing after an `any` rule, no empty lists, every rule able
//! to change whether some viewer may play) run when
//! [`TokenOptionsBuilder::build`](crate::TokenOptionsBuilder::build) is called.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use crate::error::{ECHO_MAX_CHARS, Error, ErrorKind, echo};

/// The most access rules a token may carry.
pub const MAX_ACCESS_RULES: usize = 5;

/// What a matching rule does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Let the viewer play.
    Allow,
    /// Refuse the viewer.
    Block,
}

/// One access rule; Cloudflare evaluates them first to last, the first that
/// matches decides, and a viewer no rule matches is let through.
///
/// So an `allow` rule restricts nothing without a later `block` rule: the
/// allow-only list `allow:country=GB` lets everyone play. The options
/// builder refuses such a list ([`ErrorKind::RuleHasNoEffect`]), and any
/// rule that can never change whether a viewer may play.
///
/// The JSON is exactly Cloudflare's: `type` first, then `action`, then the
/// list, if any.
///
/// ```
/// use cf_stream_token::{AccessRule, Action, ErrorKind, Signer, SigningKey, TokenOptions, VideoId};
/// use time::macros::datetime;
///
/// // Cloudflare's documentation example: allow viewers in GB, block everyone else.
/// let opts = TokenOptions::builder()
///     .access_rules(AccessRule::allow_only_countries(["GB"])?)
///     .build()?;
/// assert_eq!(
///     opts.access_rules_json(),
///     Some(r#"[{"type":"ip.geoip.country","action":"allow","country":["GB"]},{"type":"any","action":"block"}]"#)
/// );
///
/// // Or rule by rule: block two networks, then anyone seen through Tor.
/// let opts = TokenOptions::builder()
///     .access_rule(AccessRule::networks(Action::Block, ["93.184.216.0/24", "2400:cb00::/32"])?)
///     .access_rule(AccessRule::countries(Action::Block, ["T1"])?)
///     .build()?;
/// assert_eq!(
///     opts.access_rules_json(),
///     Some(concat!(
///         r#"[{"type":"ip.src","action":"block","ip":["93.184.216.0/24","2400:cb00::/32"]},"#,
///         r#"{"type":"ip.geoip.country","action":"block","country":["T1"]}]"#
///     ))
/// );
///
/// // The rules ride in the token's `accessRules` claim.
/// let signer = Signer::new(SigningKey::parse(include_str!("../fixtures/demo/demo.jwk.json"), None)?);
/// let video: VideoId = "ea95132c15732412d22c1476fa83f27a".parse()?;
/// let token = signer.mint_at(datetime!(2023-11-14 22:13:20 UTC), &video, &opts)?;
/// assert_eq!(token.claims().access_rules(), opts.access_rules());
///
/// // Bad values are refused by kind, naming the value: `UK` is not an ISO
/// // 3166-1 code (the United Kingdom is `GB`), and an IPv4 prefix stops at 32.
/// let err = AccessRule::countries(Action::Allow, ["UK"]).unwrap_err();
/// assert_eq!(err.to_string(), r#""UK" is not an ISO 3166-1 alpha-2 country code (the United Kingdom is GB)"#);
/// let err = AccessRule::networks(Action::Allow, ["1.2.3.4/33"]).unwrap_err();
/// assert_eq!(err.to_string(), r#""1.2.3.4/33" is not an IP address or CIDR network"#);
///
/// // An allow-only list restricts nothing: it is refused, saying what to add.
/// let err = TokenOptions::builder()
///     .access_rule(AccessRule::countries(Action::Allow, ["GB"])?)
///     .build()
///     .unwrap_err();
/// assert!(matches!(err.kind(), ErrorKind::RuleHasNoEffect { rule: 1, .. }));
/// assert!(err.to_string().contains("add `block:any` after it"), "{err}");
/// # Ok::<(), cf_stream_token::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", try_from = "RawRule")]
pub enum AccessRule {
    /// Matches every viewer.
    #[serde(rename = "any")]
    Any {
        /// What to do.
        action: Action,
    },
    /// Matches viewers whose address is in one of the networks.
    #[serde(rename = "ip.src")]
    IpSrc {
        /// What to do.
        action: Action,
        /// Addresses and CIDR networks, IPv4 or IPv6.
        ip: Vec<IpNetwork>,
    },
    /// Matches viewers geolocated in one of the countries.
    #[serde(rename = "ip.geoip.country")]
    Country {
        /// What to do.
        action: Action,
        /// ISO 3166-1 alpha-2 codes (and Cloudflare's `T1`, `XX`).
        country: Vec<CountryCode>,
    },
}

/// The wire shape, read before the per-rule checks of [`AccessRule`].
#[derive(Deserialize)]
#[serde(tag = "type")]
enum RawRule {
    #[serde(rename = "any")]
    Any { action: Action },
    #[serde(rename = "ip.src")]
    IpSrc { action: Action, ip: Vec<IpNetwork> },
    #[serde(rename = "ip.geoip.country")]
    Country {
        action: Action,
        country: Vec<CountryCode>,
    },
}

impl TryFrom<RawRule> for AccessRule {
    type Error = &'static str;

    fn try_from(raw: RawRule) -> Result<Self, Self::Error> {
        match raw {
            RawRule::Any { action } => Ok(AccessRule::Any { action }),
            RawRule::IpSrc { ip, .. } if ip.is_empty() => Err("access rule has an empty ip list"),
            RawRule::IpSrc { action, ip } => Ok(AccessRule::IpSrc { action, ip }),
            RawRule::Country { country, .. } if country.is_empty() => {
                Err("access rule has an empty country list")
            }
            RawRule::Country { action, country } => Ok(AccessRule::Country { action, country }),
        }
    }
}

impl AccessRule {
    /// A rule matching every viewer.
    pub fn any(action: Action) -> Self {
        AccessRule::Any { action }
    }

    /// A rule matching viewers in any of `codes` (ISO 3166-1 alpha-2, any
    /// case; see [`CountryCode::new`]).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidCountryCode`] naming the first code that is not
    /// one. An empty list is refused when the options are built.
    pub fn countries<I>(action: Action, codes: I) -> Result<Self, Error>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let country = codes
            .into_iter()
            .map(|c| CountryCode::new(c.as_ref()))
            .collect::<Result<_, _>>()?;
        Ok(AccessRule::Country { action, country })
    }

    /// A rule matching viewers whose address is in any of `networks`
    /// (addresses or CIDRs, IPv4 or IPv6; see [`IpNetwork::new`]).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidIpNetwork`] naming the first value that does not
    /// parse. An empty list is refused when the options are built.
    pub fn networks<I>(action: Action, networks: I) -> Result<Self, Error>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let ip = networks
            .into_iter()
            .map(|n| IpNetwork::new(n.as_ref()))
            .collect::<Result<_, _>>()?;
        Ok(AccessRule::IpSrc { action, ip })
    }

    /// Allow viewers in these countries and block everyone else: a country
    /// rule that allows, then an `any` rule that blocks.
    ///
    /// # Errors
    /// As [`AccessRule::countries`].
    pub fn allow_only_countries<I>(codes: I) -> Result<[AccessRule; 2], Error>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        Ok([
            AccessRule::countries(Action::Allow, codes)?,
            AccessRule::any(Action::Block),
        ])
    }

    /// Block viewers in these countries; everyone else plays (a viewer no
    /// rule matches is let through).
    ///
    /// # Errors
    /// As [`AccessRule::countries`].
    pub fn block_countries<I>(codes: I) -> Result<AccessRule, Error>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        AccessRule::countries(Action::Block, codes)
    }

    /// Allow viewers from these networks only: an `ip.src` rule that allows,
    /// then an `any` rule that blocks.
    ///
    /// # Errors
    /// As [`AccessRule::networks`].
    pub fn allow_only_networks<I>(networks: I) -> Result<[AccessRule; 2], Error>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        Ok([
            AccessRule::networks(Action::Allow, networks)?,
            AccessRule::any(Action::Block),
        ])
    }

    /// What the rule does when it matches.
    pub fn action(&self) -> Action {
        match self {
            AccessRule::Any { action }
            | AccessRule::IpSrc { action, .. }
            | AccessRule::Country { action, .. } => *action,
        }
    }
}

/// The command line's rule syntax: `allow|block` `:` `any` |
/// `country=CC[,CC..]` | `ip=ADDR_OR_CIDR[,..]`.
///
/// Keywords are lower case; country codes may be any case (they are
/// upper-cased). Blanks around list items are ignored; an empty item is an
/// error. Each value is checked (assigned ISO 3166-1 codes, addresses and
/// CIDRs that parse); the checks on a list as a whole (at most five,
/// nothing after `any`) run when the token options are built.
///
/// ```
/// use cf_stream_token::{AccessRule, Action};
/// let rule: AccessRule = "allow:country=GB,us".parse()?;
/// assert_eq!(rule, AccessRule::countries(Action::Allow, ["GB", "US"])?);
/// assert_eq!("block:any".parse::<AccessRule>()?, AccessRule::any(Action::Block));
/// let ip: AccessRule = "allow:ip=1.2.3.0/24,2400:cb00::/32".parse()?;
/// assert_eq!(ip, AccessRule::networks(Action::Allow, ["1.2.3.0/24", "2400:cb00::/32"])?);
/// # Ok::<(), cf_stream_token::Error>(())
/// ```
impl FromStr for AccessRule {
    type Err = Error;

    /// # Errors
    /// [`ErrorKind::InvalidSyntax`] (`what: "rule"`) naming the spec and
    /// what is wrong with it; [`ErrorKind::InvalidCountryCode`] or
    /// [`ErrorKind::InvalidIpNetwork`] for a value that is not one.
    fn from_str(spec: &str) -> Result<Self, Error> {
        let bad = |reason: &'static str| -> Error {
            ErrorKind::InvalidSyntax {
                what: "rule",
                value: echo(spec, ECHO_MAX_CHARS),
                reason,
            }
            .into()
        };
        let (action, target) = spec
            .split_once(':')
            .ok_or_else(|| bad("expected ACTION:TARGET, e.g. allow:country=GB or block:any"))?;
        let action = match action {
            "allow" => Action::Allow,
            "block" => Action::Block,
            _ => return Err(bad("the action must be `allow` or `block`")),
        };
        if target == "any" {
            return Ok(AccessRule::any(action));
        }
        let (kind, list) = target.split_once('=').ok_or_else(|| {
            bad("the target must be `any`, `country=CC[,CC..]` or `ip=ADDR[,..]`")
        })?;
        let items: Vec<&str> = list.split(',').map(str::trim).collect();
        if items.iter().any(|i| i.is_empty()) {
            return Err(bad("the list has an empty item"));
        }
        match kind {
            "country" => AccessRule::countries(action, &items),
            "ip" => AccessRule::networks(action, &items),
            _ => Err(bad("the target must be `any`, `country=...` or `ip=...`")),
        }
    }
}

/// Check a rule list as a whole: at most [`MAX_ACCESS_RULES`], nothing after
/// an `any` rule (it could never match), no empty lists.
pub(crate) fn validate(rules: &[AccessRule]) -> Result<(), Error> {
    if rules.len() > MAX_ACCESS_RULES {
        return Err(ErrorKind::TooManyRules { count: rules.len() }.into());
    }
    let mut seen_any = false;
    // 1-based, as `blocked-by-rule:N` and `Decision::rule` count.
    for (index, rule) in (1..).zip(rules) {
        if seen_any {
            return Err(ErrorKind::RuleAfterAny { index }.into());
        }
        let empty = match rule {
            AccessRule::Any { .. } => {
                seen_any = true;
                false
            }
            AccessRule::IpSrc { ip, .. } => ip.is_empty(),
            AccessRule::Country { country, .. } => country.is_empty(),
        };
        if empty {
            return Err(ErrorKind::EmptyRuleList { index }.into());
        }
    }
    Ok(())
}

/// A country for `ip.geoip.country` rules: an assigned ISO 3166-1 alpha-2
/// code, upper case, or one of Cloudflare's own geolocation values `T1` (Tor)
/// and `XX` (unknown).
///
/// ```
/// use cf_stream_token::CountryCode;
/// assert_eq!(CountryCode::new("gb")?.as_str(), "GB");
/// assert_eq!(CountryCode::new("T1")?, CountryCode::TOR);
/// for not_assigned in ["UK", "G1", "GBR", "EU", ""] {
///     assert!(CountryCode::new(not_assigned).is_err());
/// }
/// # Ok::<(), cf_stream_token::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    /// Cloudflare's geolocation value for Tor exit nodes.
    pub const TOR: CountryCode = CountryCode(*b"T1");
    /// Cloudflare's geolocation value for an unknown country.
    pub const UNKNOWN: CountryCode = CountryCode(*b"XX");

    /// Check a code against the ISO 3166-1 list and upper-case it.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidCountryCode`] with the value as given, unless it is
    /// an assigned alpha-2 code (any case), `T1` or `XX`. Reserved and
    /// user-assigned codes (`UK`, `EU`, `XK`, ...) are refused.
    pub fn new(code: &str) -> Result<Self, Error> {
        let invalid = || ErrorKind::InvalidCountryCode {
            value: echo(code, ECHO_MAX_CHARS),
        };
        let &[a, b] = code.as_bytes() else {
            return Err(invalid().into());
        };
        if !(a.is_ascii_alphanumeric() && b.is_ascii_alphanumeric()) {
            return Err(invalid().into());
        }
        let upper = CountryCode([a.to_ascii_uppercase(), b.to_ascii_uppercase()]);
        if upper == Self::TOR || upper == Self::UNKNOWN {
            return Ok(upper);
        }
        // celes also lists `XK` (Kosovo), a user-assigned code outside ISO
        // 3166-1: refuse it so that only assigned codes pass.
        if &upper.0 == b"XK" || celes::Country::from_alpha2(upper.as_str()).is_err() {
            return Err(invalid().into());
        }
        Ok(upper)
    }

    /// The code: two upper-case ASCII characters.
    pub fn as_str(&self) -> &str {
        // Only bytes that passed the ASCII checks above are ever stored.
        std::str::from_utf8(&self.0).expect("country code is ASCII")
    }
}

/// An address or CIDR network for `ip.src` rules, IPv4 or IPv6.
///
/// A single address stays a single address (no `/32` is added), and a
/// network keeps its address as written, host bits included
/// (`10.1.2.3/8` stays `10.1.2.3/8`: Cloudflare matches on the prefix). The
/// text is canonical: IPv6 compressed and lower case (RFC 5952).
///
/// ```
/// use cf_stream_token::IpNetwork;
/// assert_eq!(IpNetwork::new("93.184.216.0/24")?.to_string(), "93.184.216.0/24");
/// assert_eq!(IpNetwork::new("1.2.3.4")?.to_string(), "1.2.3.4");
/// assert_eq!(IpNetwork::new("2400:CB00:0::/32")?.to_string(), "2400:cb00::/32");
/// for bad in ["1.2.3.4/33", "300.1.1.1", "::g", "01.2.3.4", ""] {
///     assert!(IpNetwork::new(bad).is_err());
/// }
/// # Ok::<(), cf_stream_token::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IpNetwork {
    net: IpNet,
    /// Whether a prefix length was written (`1.2.3.4` vs `1.2.3.4/32`).
    has_prefix: bool,
}

impl IpNetwork {
    /// Parse an address (`1.2.3.4`, `2400:cb00::1`) or a CIDR network
    /// (`93.184.216.0/24`, `2400:cb00::/32`).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidIpNetwork`] with the value as given, for anything
    /// else: a prefix longer than the address (`/33` for IPv4), an octet over
    /// 255, an octet with a leading zero (octal to some parsers), an IPv6 zone
    /// (`%eth0`), surrounding spaces.
    pub fn new(text: &str) -> Result<Self, Error> {
        let invalid = || -> Error {
            ErrorKind::InvalidIpNetwork {
                value: echo(text, ECHO_MAX_CHARS),
            }
            .into()
        };
        match text.split_once('/') {
            Some((addr, _)) => {
                let net = IpNet::from_str(text).map_err(|_| invalid())?;
                // ipnet reads `010.1.1.1/8` as decimal; std's stricter address
                // parser refuses the leading zero, as it does without a prefix.
                IpAddr::from_str(addr).map_err(|_| invalid())?;
                Ok(IpNetwork {
                    net,
                    has_prefix: true,
                })
            }
            None => Ok(IpNetwork::from(
                IpAddr::from_str(text).map_err(|_| invalid())?,
            )),
        }
    }

    /// The address as written (host bits of a network included).
    pub fn addr(&self) -> IpAddr {
        self.net.addr()
    }

    /// The prefix length; the full length (32 or 128) for a single address.
    pub fn prefix_len(&self) -> u8 {
        self.net.prefix_len()
    }

    /// The network itself, for the rule analysis of `decide.rs`.
    pub(crate) fn net(&self) -> IpNet {
        self.net
    }

    /// Whether `ip` is inside this network (or is this address).
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.net.contains(&ip)
    }
}

impl From<IpAddr> for IpNetwork {
    /// A single address.
    fn from(addr: IpAddr) -> Self {
        IpNetwork {
            net: IpNet::from(addr),
            has_prefix: false,
        }
    }
}

impl fmt::Display for IpNetwork {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.has_prefix {
            fmt::Display::fmt(&self.net, f)
        } else {
            fmt::Display::fmt(&self.net.addr(), f)
        }
    }
}

impl fmt::Debug for IpNetwork {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IpNetwork(\"{self}\")")
    }
}

impl Serialize for IpNetwork {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

parse_via_new!(CountryCode);
parse_via_new!(IpNetwork);

impl AsRef<str> for CountryCode {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CountryCode({:?})", self.as_str())
    }
}

impl Serialize for CountryCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(r: Result<impl fmt::Debug, Error>) -> ErrorKind {
        r.unwrap_err().into_kind()
    }

    #[test]
    fn every_assigned_code_passes_and_is_upper_cased() {
        // A few from each end of the list and some late additions.
        for (given, kept) in [
            ("AD", "AD"),
            ("zw", "ZW"),
            ("Gb", "GB"),
            ("SS", "SS"), // South Sudan, 2011
            ("BQ", "BQ"), // Bonaire, 2010
            ("t1", "T1"),
            ("xx", "XX"),
        ] {
            assert_eq!(CountryCode::new(given).unwrap().as_str(), kept);
        }
    }

    #[test]
    fn unassigned_reserved_and_malformed_codes_are_refused() {
        for bad in [
            "UK", "XK", "EU", "AN", "ZZ", "G1", "GBR", "G", "", " GB", "É", "11",
        ] {
            assert_eq!(
                kind(CountryCode::new(bad)),
                ErrorKind::InvalidCountryCode {
                    value: bad.to_owned()
                },
                "{bad:?}"
            );
        }
    }

    #[test]
    fn networks_keep_what_was_written() {
        for (given, shown, prefix) in [
            ("1.2.3.4", "1.2.3.4", 32),
            ("1.2.3.4/32", "1.2.3.4/32", 32),
            ("10.1.2.3/8", "10.1.2.3/8", 8),
            ("0.0.0.0/0", "0.0.0.0/0", 0),
            ("2400:CB00:0:0::/32", "2400:cb00::/32", 32),
            ("::1", "::1", 128),
            ("::ffff:1.2.3.4/120", "::ffff:1.2.3.4/120", 120),
        ] {
            let n = IpNetwork::new(given).unwrap();
            assert_eq!(n.to_string(), shown);
            assert_eq!(n.prefix_len(), prefix);
        }
    }

    #[test]
    fn bad_networks_are_refused() {
        for bad in [
            "1.2.3.4/33",
            "300.1.1.1",
            "::g",
            "1.2.3",
            "1.2.3.4/",
            "1.2.3.4/-1",
            "/24",
            "010.1.1.1/8",
            "010.1.1.1",
            "fe80::1%eth0",
            "::/129",
            " 1.2.3.4",
            "1.2.3.4/24/8",
            "",
        ] {
            assert_eq!(
                kind(IpNetwork::new(bad)),
                ErrorKind::InvalidIpNetwork {
                    value: bad.to_owned()
                },
                "{bad:?}"
            );
        }
    }

    #[test]
    fn contains_uses_the_prefix() {
        let n = IpNetwork::new("10.1.2.3/8").unwrap();
        assert!(n.contains("10.200.0.1".parse().unwrap()));
        assert!(!n.contains("11.0.0.1".parse().unwrap()));
    }

    #[test]
    fn list_checks_run_in_order() {
        let any = AccessRule::any(Action::Block);
        let gb = AccessRule::countries(Action::Allow, ["GB"]).unwrap();
        assert!(validate(&[]).is_ok());
        assert!(validate(&[gb.clone(), any.clone()]).is_ok());
        assert_eq!(
            kind(validate(&[any.clone(), gb.clone()])),
            ErrorKind::RuleAfterAny { index: 2 }
        );
        assert_eq!(
            kind(validate(&vec![gb.clone(); 6])),
            ErrorKind::TooManyRules { count: 6 }
        );
        let empty = AccessRule::Country {
            action: Action::Allow,
            country: Vec::new(),
        };
        assert_eq!(
            kind(validate(&[gb, empty])),
            ErrorKind::EmptyRuleList { index: 2 }
        );
    }
}
