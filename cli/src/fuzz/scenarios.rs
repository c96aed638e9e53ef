//! Random scenarios for the fuzzer, as a careless or curious user would make them: knobs at
//! their extremes and out of range, per-node overrides, fault scripts with live `set`
//! changes, lab commands, manual scheduling and deliveries, and share links with bytes
//! flipped, cut or inserted.

use playground_core::base64url;
use playground_core::fault::parse_script;
use playground_core::lab::{self, LabInfo, ParamKind, ParamSpec};
use playground_core::rng::Rng;
use playground_core::scenario::Scenario;
use playground_core::time::{Micros, MICROS_PER_MS};

/// One thing to run: a share link (maybe mutated) and how long to run it.
#[derive(Clone, Debug)]
pub struct Case {
    pub lab: &'static str,
    pub link: String,
    pub until: Micros,
}

/// What a lab offers the generator: its knobs, its node names and the commands they take.
pub struct Target {
    info: &'static LabInfo,
    names: Vec<String>,
    commands: Vec<(String, String)>,
}

impl Target {
    /// Every lab that runs (or the one named), with its defaults' nodes and commands.
    pub fn all(only: Option<&str>) -> Result<Vec<Target>, String> {
        let targets: Vec<Target> = lab::catalogue()
            .iter()
            .filter(|info| info.available() && info.parts.is_empty())
            .filter(|info| only.is_none_or(|name| name == info.name))
            .filter_map(|info| {
                let run = lab::start(&Scenario::new(info.name, 1)).ok()?;
                let names = run.names();
                let commands = (0..names.len() as u16)
                    .flat_map(|id| {
                        let name = names[usize::from(id)].clone();
                        run.commands(id).into_iter().map(move |(_, text)| (name.clone(), text))
                    })
                    .collect();
                Some(Target { info, names, commands })
            })
            .collect();
        if targets.is_empty() {
            return Err(format!("there is no runnable lab called `{}`", only.unwrap_or("")));
        }
        Ok(targets)
    }
}

fn pick<'a, T>(rng: &mut Rng, items: &'a [T]) -> Option<&'a T> {
    (!items.is_empty()).then(|| &items[rng.below(items.len() as u64) as usize])
}

fn int_value(rng: &mut Rng, min: i64, max: i64) -> String {
    let value = match rng.below(10) {
        0 => min,
        1 => max,
        2 => 0,
        3 => min - 1 - rng.below(5) as i64,
        4 => max + 1 + rng.below(1_000_000) as i64,
        _ => min + rng.below((max - min) as u64 + 1) as i64,
    };
    value.to_string()
}

/// A value for a knob: mostly valid, sometimes at the edges, now and then nonsense.
fn value_for(rng: &mut Rng, spec: &ParamSpec) -> String {
    if rng.below(25) == 0 {
        return ["", "x", "-1", "99999999999999999999", "on off", "1e3"][rng.below(6) as usize].to_string();
    }
    match spec.kind {
        ParamKind::Int { min, max, .. } => int_value(rng, min, max),
        ParamKind::Bool => if rng.below(2) == 0 { "on" } else { "off" }.to_string(),
        ParamKind::Choice(options) => pick(rng, options).map_or(String::new(), |s| s.to_string()),
    }
}

fn node<'a>(rng: &mut Rng, target: &'a Target) -> &'a str {
    if rng.below(30) == 0 {
        return "nobody";
    }
    pick(rng, &target.names).map_or("n1", String::as_str)
}

/// One fault-script entry at `at`.
fn fault(rng: &mut Rng, target: &Target, at: Micros) -> String {
    let when = format!("{at}us");
    let live: Vec<&ParamSpec> = target.info.params.iter().filter(|p| p.live).collect();
    let action = match rng.below(14) {
        0 => format!("crash {}", node(rng, target)),
        1 => format!("restart {}", node(rng, target)),
        2 => format!("pause {} {}ms", node(rng, target), rng.below(3_000)),
        3 => format!("partition {},{} | {}", node(rng, target), node(rng, target), node(rng, target)),
        4 => format!("cut {}>{}", node(rng, target), node(rng, target)),
        5 => format!("slow {}-{} x{}", node(rng, target), node(rng, target), 1 + rng.below(100)),
        6 => "heal".into(),
        7..=9 => match pick(rng, &live) {
            Some(spec) => format!("set {}={}", spec.key, value_for(rng, spec)),
            None => "heal".into(),
        },
        10 => match pick(rng, &target.commands) {
            Some((name, text)) => format!("do {name} {text}"),
            None => format!("do {} nonsense", node(rng, target)),
        },
        11 => format!("scheduler {}", if rng.below(2) == 0 { "manual" } else { "network" }),
        12 => format!("deliver #{}", rng.below(400)),
        _ => format!("join {}", node(rng, target)),
    };
    format!("{when} {action}")
}

/// A random scenario of `target`, as a share link.
pub fn case(rng: &mut Rng, target: &Target) -> Case {
    let mut scenario = Scenario::new(target.info.name, rng.next_u64() >> rng.below(64));
    for spec in target.info.params {
        if rng.below(3) == 0 {
            scenario.set_param(spec.key, &value_for(rng, spec));
        }
    }
    if let Some(spec) = pick(rng, target.info.params).filter(|s| s.per_node && rng.below(4) == 0) {
        let key = format!("{}.{}", node(rng, target), spec.key);
        scenario.set_param(&key, &value_for(rng, spec));
    }
    let until = [100, 500, 2_000, 5_000, 10_000, 20_000][rng.below(6) as usize] * MICROS_PER_MS;
    let entries: Vec<String> = (0..rng.below(8))
        .map(|_| {
            let at = rng.below(until + 1);
            fault(rng, target, at)
        })
        .collect();
    if let Ok(faults) = parse_script(&entries.join("; ")) {
        scenario.faults = faults;
        scenario.faults.sort_by_key(|f| f.at);
    }
    let mut link = scenario.encode();
    if rng.below(8) == 0 {
        link = mutate(rng, &link);
    }
    Case { lab: target.info.name, link, until }
}

/// Damages a share link the ways links get damaged: a changed, cut or inserted byte in
/// the decoded data (re-encoded), or in the text itself.
fn mutate(rng: &mut Rng, link: &str) -> String {
    let Ok(mut bytes) = base64url::decode(link) else { return link.to_string() };
    if bytes.is_empty() {
        return link.to_string();
    }
    for _ in 0..=rng.below(3) {
        let index = rng.below(bytes.len() as u64) as usize;
        match rng.below(4) {
            0 => bytes[index] ^= 1 << rng.below(8),
            1 => bytes[index] = rng.below(256) as u8,
            2 => bytes.truncate(index.max(1)),
            _ => bytes.insert(index, rng.below(256) as u8),
        }
    }
    let mut text = base64url::encode(&bytes);
    if rng.below(10) == 0 {
        text.push('%');
    }
    text
}
