//! Scenarios: lab, parameters, seed, a timed fault script and the moment shown.
//!
//! A scenario is data. It travels as a compact URL-safe string, the share link and the embed
//! URL: one format-version byte, then the postcard encoding, then base64url. The CLI also
//! reads it as JSON. Decoding never panics: every way bytes can be wrong maps to a
//! [`ScenarioError`] that says what is wrong.

use crate::sort;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;
use serde::{Deserialize, Serialize};

use crate::base64url;
use crate::fault::Fault;
use crate::time::{Micros, MICROS_PER_SEC};

/// The encoding version this build writes and reads.
pub const FORMAT_VERSION: u8 = 1;

/// Bounds that keep a hostile link from costing memory or time.
pub const MAX_ENCODED_LEN: usize = 16 * 1024;
pub const MAX_FAULTS: usize = 1_000;
pub const MAX_PARAMS: usize = 64;
pub const MAX_TEXT: usize = 64;
pub const MAX_TIME: Micros = 24 * 3_600 * MICROS_PER_SEC;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scenario {
    pub lab: String,
    pub seed: u64,
    /// `key=value` pairs that differ from the lab's defaults; `node.key` for one node.
    pub params: Vec<(String, String)>,
    pub faults: Vec<Fault>,
    /// The moment of the run being shown.
    pub at: Micros,
}

/// Why a scenario cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScenarioError {
    Empty,
    TooLong(usize),
    Base64(String),
    Version {
        found: u8,
    },
    Malformed(String),
    Limit(String),
    UnknownLab(String),
    LabNotReady(&'static str),
    /// The lab is made of parts; name one of them.
    Parts(&'static str, &'static [&'static str]),
    Param(String),
    Fault(String),
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScenarioError::Empty => write!(f, "the scenario is empty"),
            ScenarioError::TooLong(len) => {
                write!(f, "the scenario is {len} characters long; the limit is {MAX_ENCODED_LEN}")
            }
            ScenarioError::Base64(why) => write!(f, "the scenario {why}"),
            ScenarioError::Version { found } => write!(
                f,
                "the scenario is in format version {found}, but this playground reads version {FORMAT_VERSION}"
            ),
            ScenarioError::Malformed(why) => write!(f, "the scenario data is damaged: {why}"),
            ScenarioError::Limit(why) => write!(f, "the scenario is too large: {why}"),
            ScenarioError::UnknownLab(lab) => write!(f, "there is no lab called `{lab}`"),
            ScenarioError::LabNotReady(lab) => write!(f, "the {lab} lab is not built yet"),
            ScenarioError::Parts(lab, parts) => write!(f, "the {lab} lab has parts; run one of: {}", parts.join(", ")),
            ScenarioError::Param(why) => write!(f, "bad parameter: {why}"),
            ScenarioError::Fault(why) => write!(f, "bad fault script: {why}"),
        }
    }
}

impl Scenario {
    pub fn new(lab: &str, seed: u64) -> Self {
        Scenario { lab: lab.to_string(), seed, params: Vec::new(), faults: Vec::new(), at: 0 }
    }

    /// Sets a parameter, replacing an earlier value for the same key.
    pub fn set_param(&mut self, key: &str, value: &str) {
        self.params.retain(|(k, _)| k != key);
        self.params.push((key.to_string(), value.to_string()));
    }

    /// Adds the faults of a script (`2s crash s1; 5s restart s1`), keeping the script in time
    /// order (faults at one instant stay in the order given).
    pub fn add_faults(&mut self, script: &str) -> Result<(), String> {
        if !script.is_empty() {
            self.faults.extend(crate::fault::parse_script(script)?);
            sort::by_key(&mut self.faults, |f| f.at);
        }
        Ok(())
    }

    pub fn param(&self, key: &str) -> Option<&str> {
        self.params.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// The share-link form.
    pub fn encode(&self) -> String {
        let mut bytes = alloc::vec![FORMAT_VERSION];
        bytes.extend(postcard::to_allocvec(self).unwrap_or_default());
        base64url::encode(&bytes)
    }

    /// Reads the share-link form, checking structure and size limits. The lab checks the
    /// meaning (parameters, node names) when the run starts.
    pub fn decode(text: &str) -> Result<Scenario, ScenarioError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(ScenarioError::Empty);
        }
        if text.len() > MAX_ENCODED_LEN {
            return Err(ScenarioError::TooLong(text.len()));
        }
        let bytes = base64url::decode(text).map_err(ScenarioError::Base64)?;
        let (&version, body) = bytes.split_first().ok_or(ScenarioError::Empty)?;
        if version != FORMAT_VERSION {
            return Err(ScenarioError::Version { found: version });
        }
        let (scenario, rest) = postcard::take_from_bytes::<Scenario>(body)
            .map_err(|e| ScenarioError::Malformed(postcard_error(e, "an unknown fault kind")))?;
        if !rest.is_empty() {
            return Err(ScenarioError::Malformed(format!("{} unexpected bytes at the end", rest.len())));
        }
        scenario.check_limits()?;
        Ok(scenario)
    }

    /// Checks sizes and times, whatever the source (link, file or CLI).
    pub fn check_limits(&self) -> Result<(), ScenarioError> {
        let limit = |why: String| Err(ScenarioError::Limit(why));
        if self.faults.len() > MAX_FAULTS {
            return limit(format!("{} faults (at most {MAX_FAULTS})", self.faults.len()));
        }
        if self.params.len() > MAX_PARAMS {
            return limit(format!("{} parameters (at most {MAX_PARAMS})", self.params.len()));
        }
        let long_text = self.params.iter().flat_map(|(k, v)| [k, v]).chain(core::iter::once(&self.lab));
        if let Some(text) = long_text.into_iter().find(|t| t.len() > MAX_TEXT) {
            return limit(format!("a name of {} characters (at most {MAX_TEXT})", text.len()));
        }
        if self.at > MAX_TIME || self.faults.iter().any(|f| f.at > MAX_TIME) {
            return limit("a time past 24 hours".to_string());
        }
        if self.faults.windows(2).any(|w| w[0].at > w[1].at) {
            return Err(ScenarioError::Fault("faults are not in time order".to_string()));
        }
        Ok(())
    }
}

/// What went wrong reading a link's postcard body, in words; `bad_enum` names the enum.
pub(crate) fn postcard_error(error: postcard::Error, bad_enum: &str) -> String {
    match error {
        postcard::Error::DeserializeUnexpectedEnd => "it ends too early".to_string(),
        postcard::Error::DeserializeBadUtf8 => "a name or text is not valid UTF-8".to_string(),
        postcard::Error::DeserializeBadEnum => bad_enum.to_string(),
        other => format!("{other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fault::parse_script;

    fn sample() -> Scenario {
        let mut s = Scenario::new("network", 42);
        s.set_param("loss", "30");
        s.set_param("s2.cpu_us", "500");
        s.faults = parse_script("2s crash s1; 3s partition c1,s1 | s2; 9s heal").unwrap();
        s.at = 4_500_000;
        s
    }

    #[test]
    fn round_trips_compactly() {
        let s = sample();
        let text = s.encode();
        assert!(text.len() < 120, "{} chars: {text}", text.len());
        assert!(text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(Scenario::decode(&text), Ok(s));
    }

    #[test]
    fn each_kind_of_damage_has_its_message() {
        let good = sample().encode();
        assert_eq!(Scenario::decode("  "), Err(ScenarioError::Empty));
        assert!(matches!(Scenario::decode("abc$"), Err(ScenarioError::Base64(_))));
        assert!(matches!(Scenario::decode(&good[..(good.len() / 2) & !3]), Err(ScenarioError::Malformed(_))));
        let mut newer = base64url::decode(&good).unwrap();
        newer[0] = 9;
        assert_eq!(Scenario::decode(&base64url::encode(&newer)), Err(ScenarioError::Version { found: 9 }));
        let mut longer = base64url::decode(&good).unwrap();
        longer.push(0);
        assert!(Scenario::decode(&base64url::encode(&longer)).unwrap_err().to_string().contains("unexpected bytes"));
        let huge = "A".repeat(MAX_ENCODED_LEN + 1);
        assert_eq!(Scenario::decode(&huge), Err(ScenarioError::TooLong(MAX_ENCODED_LEN + 1)));
    }

    #[test]
    fn limits_apply_to_every_source() {
        let mut s = sample();
        s.at = MAX_TIME + 1;
        assert!(matches!(s.check_limits(), Err(ScenarioError::Limit(_))));
        let mut s = sample();
        s.faults.reverse();
        assert!(matches!(s.check_limits(), Err(ScenarioError::Fault(_))));
    }
}
