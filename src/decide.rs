//! Who may play: the access-rule decision for one viewer, as Cloudflare's
//! edge takes it, without a server.

use std::collections::BTreeSet;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::OnceLock;

use ipnet::IpNet;

use crate::error::{Error, ErrorKind};
use crate::rules::{AccessRule, Action, CountryCode, IpNetwork};

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
/// [`Claims::decide`](crate::Claims::decide),
/// [`TokenOptions::decide`](crate::TokenOptions::decide) and the emulator's edge.
pub(crate) fn decide_rules(rules: &[AccessRule], viewer: &Viewer) -> Decision {
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

/// Why a rule has no effect, as [`ErrorKind::RuleHasNoEffect`] says it.
const SHADOWED: &str =
    "earlier rules already decide every viewer it matches; remove it, or move it before them";
/// An allow rule whose viewers no later rule matches: the allow-only list.
const ALLOWS_ANYWAY: &str = "every viewer it lets play would play anyway, since a viewer no rule matches is let through; add `block:any` after it to let only these viewers play";
/// A rule no viewer matches at all: only IPv4-mapped IPv6 networks can be.
const MATCHES_NO_ONE: &str = "it matches no viewer: an IPv4-mapped IPv6 network (`::ffff:a.b.c.d`) never matches, since such viewers are matched by their IPv4 address; write the IPv4 network instead";
/// An `allow:any` rule: it lets play everyone it reaches, as no rule would.
const ALLOW_ANY: &str =
    "an `allow:any` rule lets play everyone it reaches, as no rule at all would; remove it";
/// An allow rule whose viewers a later allow rule lets play too.
const ALLOWED_LATER: &str = "every viewer it lets play is let play by a later rule too; remove it";

/// Refuse a rule list with a rule that can never change whether any viewer
/// may play: one no viewer reaches (earlier rules decide all it matches), or
/// an `allow` rule whose viewers would play without it.
///
/// Exact: the viewers of [`representatives`] stand for every viewer, so a
/// rule refused here changes no viewer's outcome, and one accepted decides
/// some viewer (and, if it allows, lets someone play who would be blocked
/// without it). A `block` rule before a later block that covers it is kept:
/// it names the reason (`blocked-by-rule:N`) and harms no one.
pub(crate) fn refuse_rules_without_effect(rules: &[AccessRule]) -> Result<(), Error> {
    if rules.is_empty() {
        return Ok(());
    }
    let viewers = representatives(rules);
    let decisions: Vec<Decision> = viewers.iter().map(|v| decide_rules(rules, v)).collect();
    // Shadowed rules first: they name the rule that is in the way least.
    for rule in 1..=rules.len() {
        if !decisions.iter().any(|d| d.rule == Some(rule)) {
            let matches_some = viewers.iter().any(|v| rules[rule - 1].matches(v));
            let reason = if matches_some {
                SHADOWED
            } else {
                MATCHES_NO_ONE
            };
            return Err(ErrorKind::RuleHasNoEffect { rule, reason }.into());
        }
    }
    for (rule, _) in (1..)
        .zip(rules)
        .filter(|(_, r)| r.action() == Action::Allow)
    {
        let without: Vec<AccessRule> = (1..)
            .zip(rules)
            .filter(|&(n, _)| n != rule)
            .map(|(_, r)| r.clone())
            .collect();
        let mut unmatched_after = false;
        let mut matters = false;
        for (viewer, decision) in viewers.iter().zip(&decisions) {
            if decision.rule != Some(rule) {
                continue;
            }
            let after = decide_rules(&without, viewer);
            matters |= !after.is_allowed();
            unmatched_after |= after.rule.is_none();
        }
        if !matters {
            let reason = if matches!(rules[rule - 1], AccessRule::Any { .. }) {
                ALLOW_ANY
            } else if unmatched_after {
                ALLOWS_ANYWAY
            } else {
                ALLOWED_LATER
            };
            return Err(ErrorKind::RuleHasNoEffect { rule, reason }.into());
        }
    }
    Ok(())
}

/// Every country a viewer can have: the assigned ISO 3166-1 codes, `T1`
/// and `XX` (all that [`CountryCode::new`] accepts).
fn every_country() -> &'static [CountryCode] {
    static ALL: OnceLock<Vec<CountryCode>> = OnceLock::new();
    ALL.get_or_init(|| {
        let chars = || (b'0'..=b'9').chain(b'A'..=b'Z');
        chars()
            .flat_map(|a| chars().map(move |b| [a, b]))
            .filter_map(|pair| CountryCode::new(std::str::from_utf8(&pair).ok()?).ok())
            .collect()
    })
}

/// The start of the IPv4-mapped IPv6 block `::ffff:0:0/96`: no viewer has
/// such an address ([`AccessRule::matches`] reads it as IPv4).
const MAPPED_START: u128 = 0xffff_0000_0000;
/// The first address after the IPv4-mapped block.
const MAPPED_END: u128 = 0x1_0000_0000_0000;

/// Viewers that stand for every viewer of `rules`: one for each way the
/// rules can tell viewers apart (which rules match), in the product of the
/// countries' classes and the addresses' classes, IPv4 and IPv6 apart.
///
/// Countries: one per set of country rules that lists it (one for the
/// countries no rule lists, if any is left). Addresses: the networks' first
/// and one-past-last addresses cut each family into runs no network
/// boundary crosses; the first address of each run stands for it, one per
/// set of matching `ip.src` rules and family.
fn representatives(rules: &[AccessRule]) -> Vec<Viewer> {
    let mut countries: Vec<(Vec<bool>, CountryCode)> = Vec::new();
    for &country in every_country() {
        let key: Vec<bool> = rules
            .iter()
            .map(|r| matches!(r, AccessRule::Country { country: c, .. } if c.contains(&country)))
            .collect();
        if !countries.iter().any(|(k, _)| *k == key) {
            countries.push((key, country));
        }
    }

    // Each family's runs start at 0 and at every network's first and
    // one-past-last address (IPv6 also at the mapped block's edges); which
    // rules match a run is swept once, counting the networks open at it.
    let mut points: BTreeSet<(bool, u128)> = BTreeSet::from([
        (false, 0),
        (true, 0),
        (true, MAPPED_START),
        (true, MAPPED_END),
    ]);
    // (rule, family is IPv6, first address, one past the last if in range)
    let mut spans: Vec<(usize, bool, u128, Option<u128>)> = Vec::new();
    for (r, rule) in rules.iter().enumerate() {
        let AccessRule::IpSrc { ip, .. } = rule else {
            continue;
        };
        for net in ip {
            let (v6, first, past) = match net.net() {
                IpNet::V4(n) => {
                    let past = u32::from(n.broadcast()).checked_add(1).map(u128::from);
                    (false, u128::from(u32::from(n.network())), past)
                }
                IpNet::V6(n) => (
                    true,
                    u128::from(n.network()),
                    u128::from(n.broadcast()).checked_add(1),
                ),
            };
            points.insert((v6, first));
            if let Some(past) = past {
                points.insert((v6, past));
            }
            spans.push((r, v6, first, past));
        }
    }
    let points: Vec<(bool, u128)> = points.into_iter().collect();
    let ipv4_end = points.partition_point(|&(v6, _)| !v6);
    let mut open = vec![vec![0i64; points.len() + 1]; rules.len()];
    for (r, v6, first, past) in spans {
        let at = |p: (bool, u128)| points.binary_search(&p).expect("every edge is a point");
        let end = match past {
            Some(past) => at((v6, past)),
            None if v6 => points.len(),
            None => ipv4_end,
        };
        open[r][at((v6, first))] += 1;
        open[r][end] -= 1;
    }
    let mut counts = vec![0i64; rules.len()];
    let mut addresses: Vec<((bool, Vec<bool>), IpAddr)> = Vec::new();
    for (i, &(v6, addr)) in points.iter().enumerate() {
        for (count, open) in counts.iter_mut().zip(&open) {
            *count += open[i];
        }
        if v6 && (MAPPED_START..MAPPED_END).contains(&addr) {
            continue;
        }
        let ip = if v6 {
            IpAddr::V6(Ipv6Addr::from(addr))
        } else {
            // IPv4 points are IPv4 addresses: only `past` can reach 2^32,
            // and it is `None` then.
            IpAddr::V4(Ipv4Addr::from(
                u32::try_from(addr).expect("an IPv4 address"),
            ))
        };
        let key = (v6, counts.iter().map(|&c| c > 0).collect());
        if !addresses.iter().any(|(k, _)| *k == key) {
            addresses.push((key, ip));
        }
    }

    countries
        .iter()
        .flat_map(|(_, country)| {
            addresses.iter().map(|&(_, ip)| Viewer {
                ip,
                country: *country,
            })
        })
        .collect()
}

/// A rule list in words: who may play, rule by rule, what everyone else
/// gets, and whether the address rules cover IPv4 and IPv6 viewers alike.
/// From [`TokenOptions::explain_rules`](crate::TokenOptions::explain_rules) or
/// [`Claims::explain_rules`](crate::Claims::explain_rules);
/// `Display` prints one sentence a line.
///
/// ```
/// use cf_stream_token::{AccessRule, TokenOptions};
/// let opts = TokenOptions::builder()
///     .access_rules(AccessRule::allow_only_networks(["203.0.113.0/24"])?)
///     .build()?;
/// assert_eq!(
///     opts.explain_rules().to_string(),
///     "Rule 1: viewers from 203.0.113.0/24 may play.\n\
///      Rule 2: everyone else is blocked.\n\
///      IPv6: the address rules (rule 1) list IPv4 networks only, so no IPv6 viewer \
///      matches it: every IPv6 viewer is blocked."
/// );
/// # Ok::<(), cf_stream_token::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RulesExplanation {
    lines: Vec<String>,
}

impl RulesExplanation {
    /// The sentences, in order.
    pub fn lines(&self) -> impl Iterator<Item = &str> {
        self.lines.iter().map(String::as_str)
    }
}

impl fmt::Display for RulesExplanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.lines.join("\n"))
    }
}

/// `a`, `a or b`, `a, b or c`.
fn either<T: fmt::Display>(items: &[T]) -> String {
    let words: Vec<String> = items.iter().map(ToString::to_string).collect();
    match words.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// A network as written, saying so of the whole of a family.
fn network_words(net: &IpNetwork) -> String {
    match (net.prefix_len(), net.addr()) {
        (0, IpAddr::V4(_)) => format!("{net} (every IPv4 address)"),
        (0, IpAddr::V6(_)) => format!("{net} (every IPv6 address)"),
        _ => net.to_string(),
    }
}

/// `rule 1`, `rules 1 and 3`, `rules 1, 2 and 4`.
fn rule_numbers(numbers: &[usize]) -> String {
    let words: Vec<String> = numbers.iter().map(ToString::to_string).collect();
    match words.split_last() {
        None => String::new(),
        Some((last, [])) => format!("rule {last}"),
        Some((last, rest)) => format!("rules {} and {last}", rest.join(", ")),
    }
}

/// What the viewers of one address family get, in words.
fn family_outcome(decisions: &[(Viewer, Decision)], ipv6: bool) -> String {
    let family = if ipv6 { "IPv6" } else { "IPv4" };
    let of_family = decisions.iter().filter(|(v, _)| v.ip.is_ipv6() == ipv6);
    let (allowed, blocked): (Vec<&(Viewer, Decision)>, Vec<_>) =
        of_family.partition(|(_, d)| d.is_allowed());
    match (allowed.is_empty(), blocked.is_empty()) {
        (false, true) => format!("every {family} viewer may play"),
        (true, false) => format!("every {family} viewer is blocked"),
        _ => format!("{family} viewers are decided by the other rules alone"),
    }
}

/// Explain `rules` in words (any list, checked or not).
pub(crate) fn explain(rules: &[AccessRule]) -> RulesExplanation {
    if rules.is_empty() {
        return RulesExplanation {
            lines: vec!["No access rules: every viewer may play.".to_owned()],
        };
    }
    let viewers = representatives(rules);
    let decisions: Vec<(Viewer, Decision)> = viewers
        .iter()
        .map(|v| (*v, decide_rules(rules, v)))
        .collect();
    let mut lines = Vec::new();
    for (n, rule) in (1..).zip(rules) {
        let plural = match rule.action() {
            Action::Allow => "may play",
            Action::Block => "are blocked",
        };
        let who = match rule {
            AccessRule::Any { .. } => {
                let who = if n == 1 { "everyone" } else { "everyone else" };
                let verb = match rule.action() {
                    Action::Allow => "may play",
                    Action::Block => "is blocked",
                };
                lines.push(format!("Rule {n}: {who} {verb}."));
                continue;
            }
            AccessRule::Country { country, .. } => format!("viewers in {}", either(country)),
            AccessRule::IpSrc { ip, .. } => {
                let nets: Vec<String> = ip.iter().map(network_words).collect();
                format!("viewers from {}", either(&nets))
            }
        };
        // The earlier rules that decide some of this rule's viewers first.
        let mut first: Vec<usize> = decisions
            .iter()
            .filter(|(v, _)| rule.matches(v))
            .filter_map(|(_, d)| d.rule.filter(|&r| r < n))
            .collect();
        first.sort_unstable();
        first.dedup();
        let decides_some = decisions.iter().any(|(_, d)| d.rule == Some(n));
        let line = if !decides_some && first.is_empty() {
            format!("Rule {n}: {who} {plural}, but it matches no viewer.")
        } else if !decides_some {
            format!(
                "Rule {n}: {who} {plural}, but {} decide{} all of them first: this rule decides no one.",
                rule_numbers(&first),
                if first.len() == 1 { "s" } else { "" }
            )
        } else if first.is_empty() {
            format!("Rule {n}: {who} {plural}.")
        } else {
            format!(
                "Rule {n}: {who} {plural}, except those {} decide{} first.",
                rule_numbers(&first),
                if first.len() == 1 { "s" } else { "" }
            )
        };
        lines.push(line);
    }
    if !matches!(rules.last(), Some(AccessRule::Any { .. })) {
        lines.push("Everyone else may play: a viewer no rule matches is let through.".to_owned());
    }

    // Which families each address rule lists (an IPv6 network inside the
    // IPv4-mapped block matches no IPv6 viewer, so it does not count).
    let (mut v4_only, mut v6_only, mut both) = (Vec::new(), Vec::new(), Vec::new());
    for (n, rule) in (1..).zip(rules) {
        let AccessRule::IpSrc { ip, .. } = rule else {
            continue;
        };
        let v4 = ip.iter().any(|net| matches!(net.net(), IpNet::V4(_)));
        let v6 = ip.iter().any(|net| match net.net() {
            IpNet::V4(_) => false,
            IpNet::V6(net) => {
                u128::from(net.network()) < MAPPED_START
                    || u128::from(net.broadcast()) >= MAPPED_END
            }
        });
        match (v4, v6) {
            (true, true) => both.push(n),
            (true, false) => v4_only.push(n),
            (false, true) => v6_only.push(n),
            (false, false) => {}
        }
    }
    let them = |rules: &[usize]| if rules.len() == 1 { "it" } else { "them" };
    let lists = |rules: &[usize]| if rules.len() == 1 { "lists" } else { "list" };
    let line = match (v4_only.is_empty(), v6_only.is_empty(), both.is_empty()) {
        (true, true, true) if !rules.iter().any(|r| matches!(r, AccessRule::IpSrc { .. })) => {
            "IPv6: no rule looks at addresses, so IPv4 and IPv6 viewers are treated alike."
                .to_owned()
        }
        (false, true, true) => format!(
            "IPv6: the address rules ({}) list IPv4 networks only, so no IPv6 viewer matches \
             {}: {}.",
            rule_numbers(&v4_only),
            them(&v4_only),
            family_outcome(&decisions, true)
        ),
        (true, false, true) => format!(
            "IPv6: the address rules ({}) list IPv6 networks only, so no IPv4 viewer matches \
             {}: {}.",
            rule_numbers(&v6_only),
            them(&v6_only),
            family_outcome(&decisions, false)
        ),
        _ => {
            let mut parts = Vec::new();
            if !both.is_empty() {
                parts.push(format!(
                    "{} {} IPv4 and IPv6 networks",
                    rule_numbers(&both),
                    lists(&both)
                ));
            }
            if !v4_only.is_empty() {
                parts.push(format!(
                    "{} {} IPv4 networks only, so no IPv6 viewer matches {}",
                    rule_numbers(&v4_only),
                    lists(&v4_only),
                    them(&v4_only)
                ));
            }
            if !v6_only.is_empty() {
                parts.push(format!(
                    "{} {} IPv6 networks only, so no IPv4 viewer matches {}",
                    rule_numbers(&v6_only),
                    lists(&v6_only),
                    them(&v6_only)
                ));
            }
            if parts.is_empty() {
                "IPv6: the address rules list only IPv4-mapped IPv6 networks, which match no \
                 viewer."
                    .to_owned()
            } else {
                format!("IPv6: {}.", parts.join("; "))
            }
        }
    };
    lines.push(line);
    RulesExplanation { lines }
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
