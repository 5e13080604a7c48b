//! Access rules: the `accessRules` claim.

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// What a matching rule does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Let the viewer play.
    Allow,
    /// Refuse the viewer.
    Block,
}

/// One access rule; Cloudflare evaluates them first to last and the first
/// that matches decides.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type")]
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
        /// Addresses and CIDR networks, as written.
        ip: Vec<String>,
    },
    /// Matches viewers in one of the countries.
    #[serde(rename = "ip.geoip.country")]
    Country {
        /// What to do.
        action: Action,
        /// ISO 3166-1 alpha-2 codes, upper case.
        country: Vec<String>,
    },
}

/// Check a rule list as a whole.
pub(crate) fn validate(rules: &[AccessRule]) -> Result<(), Error> {
    let _ = rules;
    Ok(())
}
