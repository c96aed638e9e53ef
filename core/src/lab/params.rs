//! Lab parameters: declared once per lab, checked on every way in (URL, CLI, UI).
//!
//! A per-node parameter can be overridden for one node with `node.key=value`: this is how
//! the "many administrators" fallacy is set up, since nodes may then disagree.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// The type and range of a parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamKind {
    Int { min: i64, max: i64, unit: &'static str },
    Bool,
    Choice(&'static [&'static str]),
}

/// One knob of a lab.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParamSpec {
    pub key: &'static str,
    pub label: &'static str,
    pub kind: ParamKind,
    pub default: &'static str,
    /// One line on what the knob does.
    pub help: &'static str,
    /// May be overridden per node as `node.key`.
    pub per_node: bool,
    /// May change while the run is going (`set key=value` in a fault script).
    pub live: bool,
    /// Applies only when another knob has one of these values (the page hides it otherwise).
    pub when: Option<(&'static str, &'static [&'static str])>,
    /// Where the page shows the knob.
    pub group: ParamGroup,
}

/// The groups the page sorts knobs into, in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ParamGroup {
    /// How many nodes of each kind.
    Cluster,
    /// What the clients ask for, and how often.
    Workload,
    /// Loss, duplication, delay and bandwidth.
    Network,
    /// The protocol's own settings and teaching variants.
    Protocol,
    /// Faults the lab injects by itself: pauses, drift, attackers, refusals.
    Faults,
}

impl ParamGroup {
    pub const ALL: [ParamGroup; 5] =
        [ParamGroup::Cluster, ParamGroup::Workload, ParamGroup::Network, ParamGroup::Protocol, ParamGroup::Faults];

    pub fn label(self) -> &'static str {
        match self {
            ParamGroup::Cluster => "Cluster",
            ParamGroup::Workload => "Workload",
            ParamGroup::Network => "Network",
            ParamGroup::Protocol => "Protocol",
            ParamGroup::Faults => "Faults",
        }
    }
}

/// An integer knob; `range` is (min, max, unit).
pub const fn int_param(
    key: &'static str,
    label: &'static str,
    range: (i64, i64, &'static str),
    default: &'static str,
    help: &'static str,
    per_node: bool,
    live: bool,
) -> ParamSpec {
    let (min, max, unit) = range;
    ParamSpec {
        key,
        label,
        kind: ParamKind::Int { min, max, unit },
        default,
        help,
        per_node,
        live,
        when: None,
        group: ParamGroup::Protocol,
    }
}

/// A knob with a fixed set of values; `live` as for [`int_param`].
pub const fn choice_param(
    key: &'static str,
    label: &'static str,
    names: &'static [&'static str],
    default: &'static str,
    help: &'static str,
    live: bool,
) -> ParamSpec {
    ParamSpec {
        key,
        label,
        kind: ParamKind::Choice(names),
        default,
        help,
        per_node: false,
        live,
        when: None,
        group: ParamGroup::Protocol,
    }
}

impl ParamSpec {
    /// The same knob, applying only when knob `key` has one of `values`.
    pub const fn only_when(self, key: &'static str, values: &'static [&'static str]) -> ParamSpec {
        ParamSpec { when: Some((key, values)), ..self }
    }

    /// The same knob, shown in `group`.
    pub const fn in_group(self, group: ParamGroup) -> ParamSpec {
        ParamSpec { group, ..self }
    }

    /// Whether the knob applies with these parameters.
    pub fn applies(&self, params: &Params) -> bool {
        self.when.is_none_or(|(key, values)| values.contains(&params.choice(key)))
    }
}

/// The network-fault knobs the consensus labs share, and the network they describe.
pub const LOSS: ParamSpec = int_param("loss", "Loss", (0, 100, "%"), "0", "Chance each message is lost.", false, true)
    .in_group(ParamGroup::Network);
pub const DUPLICATION: ParamSpec =
    int_param("dup", "Duplication", (0, 100, "%"), "0", "Chance each message is delivered twice.", false, true)
        .in_group(ParamGroup::Network);
pub const JITTER: ParamSpec =
    int_param("jitter", "Jitter", (0, 200, "% of latency"), "50", "Random extra delay per message.", false, true)
        .in_group(ParamGroup::Network);

/// The network that [`LOSS`], [`DUPLICATION`] and [`JITTER`] set.
pub fn lossy_network(params: &Params) -> crate::network::NetParams {
    crate::network::NetParams {
        loss_ppm: params.int("loss") as u32 * 10_000,
        duplicate_ppm: params.int("dup") as u32 * 10_000,
        jitter_percent: params.int("jitter") as u32,
        ..crate::network::NetParams::default()
    }
}

impl ParamSpec {
    /// Checks a value and returns it in canonical form.
    pub fn check(&self, value: &str) -> Result<String, String> {
        let key = self.key;
        match self.kind {
            ParamKind::Int { min, max, unit } => {
                let number: i64 =
                    value.trim().parse().map_err(|_| format!("`{key}` must be a whole number, not `{value}`"))?;
                if !(min..=max).contains(&number) {
                    return Err(format!("`{key}` must be between {min} and {max} {unit}, not {number}"));
                }
                Ok(number.to_string())
            }
            ParamKind::Bool => match value.trim() {
                "on" | "true" | "yes" | "1" => Ok("on".into()),
                "off" | "false" | "no" | "0" => Ok("off".into()),
                _ => Err(format!("`{key}` must be on or off, not `{value}`")),
            },
            ParamKind::Choice(options) => {
                if options.contains(&value.trim()) {
                    Ok(value.trim().to_string())
                } else {
                    Err(format!("`{key}` must be one of {}, not `{value}`", options.join(", ")))
                }
            }
        }
    }
}

/// Resolved parameter values: every key has a value, plus per-node overrides.
#[derive(Clone, Debug)]
pub struct Params {
    specs: &'static [ParamSpec],
    values: BTreeMap<&'static str, String>,
    overrides: BTreeMap<(String, &'static str), String>,
}

impl Params {
    /// Applies `given` over the defaults. Later entries win.
    pub fn resolve(specs: &'static [ParamSpec], given: &[(String, String)]) -> Result<Params, String> {
        let mut params = Params {
            specs,
            values: specs.iter().map(|s| (s.key, s.default.to_string())).collect(),
            overrides: BTreeMap::new(),
        };
        for (key, value) in given {
            params.set(key, value)?;
        }
        Ok(params)
    }

    fn spec(&self, key: &str) -> Result<&'static ParamSpec, String> {
        self.specs.iter().find(|s| s.key == key).ok_or_else(|| {
            let known: Vec<&str> = self.specs.iter().map(|s| s.key).collect();
            format!("unknown parameter `{key}` (known: {})", known.join(", "))
        })
    }

    /// Sets `key` or `node.key`.
    pub fn set(&mut self, key: &str, value: &str) -> Result<&'static ParamSpec, String> {
        match key.split_once('.') {
            Some((node, key)) => {
                let spec = self.spec(key)?;
                if !spec.per_node {
                    return Err(format!("`{key}` applies to the whole lab and cannot be set for node `{node}`"));
                }
                let value = spec.check(value)?;
                self.overrides.insert((node.to_string(), spec.key), value);
                Ok(spec)
            }
            None => {
                let spec = self.spec(key)?;
                let value = spec.check(value)?;
                self.values.insert(spec.key, value);
                Ok(spec)
            }
        }
    }

    /// Every setting in force, canonical: each knob's value, then each per-node override as
    /// `node.key`. Two ways of writing the same parameters give the same settings.
    pub fn settings(&self) -> Vec<(String, String)> {
        let globals = self.values.iter().map(|(k, v)| (k.to_string(), v.clone()));
        let overrides = self.overrides.iter().map(|((node, k), v)| (format!("{node}.{k}"), v.clone()));
        globals.chain(overrides).collect()
    }

    fn raw(&self, key: &str) -> &str {
        self.values.get(key).map_or("", String::as_str)
    }

    fn raw_for(&self, node: &str, key: &str) -> &str {
        let Some(spec) = self.specs.iter().find(|s| s.key == key) else { return "" };
        match self.overrides.get(&(node.to_string(), spec.key)) {
            Some(value) => value,
            None => self.raw(key),
        }
    }

    pub fn int(&self, key: &str) -> i64 {
        self.raw(key).parse().unwrap_or(0)
    }

    pub fn flag(&self, key: &str) -> bool {
        self.raw(key) == "on"
    }

    pub fn choice(&self, key: &str) -> &str {
        self.raw(key)
    }

    pub fn int_for(&self, node: &str, key: &str) -> i64 {
        self.raw_for(node, key).parse().unwrap_or(0)
    }

    pub fn flag_for(&self, node: &str, key: &str) -> bool {
        self.raw_for(node, key) == "on"
    }

    /// The largest value of an integer knob across the global value and every override.
    pub fn max_int(&self, key: &str) -> i64 {
        let overrides = self.overrides.iter().filter(|((_, k), _)| *k == key).filter_map(|(_, v)| v.parse().ok());
        overrides.fold(self.int(key), i64::max)
    }

    /// Node names that have overrides, for the lab to check they exist.
    pub fn override_nodes(&self) -> impl Iterator<Item = &str> {
        self.overrides.keys().map(|(node, _)| node.as_str())
    }

    /// Every value that differs from its default, as `key=value` pairs.
    pub fn changed(&self) -> Vec<(String, String)> {
        let globals = self
            .specs
            .iter()
            .filter(|s| self.raw(s.key) != s.default)
            .map(|s| (s.key.to_string(), self.raw(s.key).to_string()));
        let overrides = self.overrides.iter().map(|((node, key), v)| (format!("{node}.{key}"), v.clone()));
        globals.chain(overrides).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPECS: &[ParamSpec] = &[
        ParamSpec {
            key: "n",
            label: "N",
            kind: ParamKind::Int { min: 1, max: 9, unit: "nodes" },
            default: "3",
            help: "",
            per_node: false,
            live: false,
            when: None,
            group: ParamGroup::Protocol,
        },
        ParamSpec {
            key: "t",
            label: "T",
            kind: ParamKind::Int { min: 0, max: 100, unit: "ms" },
            default: "10",
            help: "",
            per_node: true,
            live: true,
            when: None,
            group: ParamGroup::Protocol,
        },
        ParamSpec {
            key: "on",
            label: "On",
            kind: ParamKind::Bool,
            default: "off",
            help: "",
            per_node: false,
            live: true,
            when: None,
            group: ParamGroup::Protocol,
        },
        ParamSpec {
            key: "mode",
            label: "Mode",
            kind: ParamKind::Choice(&["a", "b"]),
            default: "a",
            help: "",
            per_node: false,
            live: true,
            when: None,
            group: ParamGroup::Protocol,
        },
    ];

    #[test]
    fn defaults_overrides_and_canonical_values() {
        let given = [("t".into(), "20".into()), ("s2.t".into(), "90".into()), ("on".into(), "yes".into())];
        let p = Params::resolve(SPECS, &given).unwrap();
        assert_eq!(p.int("n"), 3);
        assert_eq!(p.int_for("s1", "t"), 20);
        assert_eq!(p.int_for("s2", "t"), 90);
        assert!(p.flag("on"));
        assert_eq!(p.override_nodes().collect::<Vec<_>>(), ["s2"]);
        assert_eq!(p.changed().len(), 3);
    }

    #[test]
    fn clear_errors() {
        let bad = |k: &str, v: &str| Params::resolve(SPECS, &[(k.into(), v.into())]).unwrap_err();
        assert!(bad("x", "1").contains("unknown parameter `x`"));
        assert!(bad("n", "12").contains("between 1 and 9 nodes"));
        assert!(bad("n", "three").contains("whole number"));
        assert!(bad("on", "maybe").contains("on or off"));
        assert!(bad("mode", "c").contains("one of a, b"));
        assert!(bad("s1.n", "2").contains("whole lab"));
    }
}
