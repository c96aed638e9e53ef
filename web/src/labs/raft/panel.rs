//! The Raft preview's log panel: every server's role, term, vote, election timer and log,
//! with entries coloured (and numbered) by term and the commit index marked.

use std::rc::Rc;

use gloo_timers::callback::Timeout;
use playground_core::fault::FaultAction;
use playground_core::labs::raft::{election_time_sample, RaftView, Role, TIMEOUT_RANGES};
use playground_core::time::format_duration;
use yew::prelude::*;

use crate::lab::charts;
use crate::lab::state::Action;

/// Term colours, cycling through the colour-blind-safe palette; the term number is also
/// written in every entry.
const TERM_COLOURS: [&str; 7] = ["#56B4E9", "#E69F00", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"];

#[derive(Properties, PartialEq)]
pub struct RaftPanelProps {
    pub view: Rc<RaftView>,
    pub names: Rc<Vec<String>>,
    pub dispatch: Callback<Action>,
}

/// Seeds per election-timeout range on the chart.
const CURVE_SEEDS: u64 = 8;

/// The chart's measurement, one simulation per frame: (runs done, sums and counts per range).
#[derive(Clone, PartialEq)]
struct Measuring {
    done: u64,
    sums: Vec<(u64, u64)>,
}

impl Measuring {
    fn total() -> u64 {
        TIMEOUT_RANGES.len() as u64 * CURVE_SEEDS
    }

    /// Runs the next simulation.
    fn step(&self) -> Measuring {
        let mut next = self.clone();
        let (range, seed) = ((self.done / CURVE_SEEDS) as usize, self.done % CURVE_SEEDS);
        if let Some(time) = election_time_sample(TIMEOUT_RANGES[range], seed) {
            next.sums[range].0 += time;
            next.sums[range].1 += 1;
        }
        next.done += 1;
        next
    }

    fn curve(&self) -> Vec<((u64, u64), u64)> {
        TIMEOUT_RANGES
            .iter()
            .zip(&self.sums)
            .map(|(&range, &(sum, n))| (range, sum.checked_div(n).unwrap_or(0)))
            .collect()
    }
}

#[function_component]
pub fn RaftPanel(props: &RaftPanelProps) -> Html {
    let curve = use_state(|| None::<Vec<((u64, u64), u64)>>);
    let measuring = use_state(|| None::<Measuring>);
    // Forty simulations would freeze the page in one click; run one per frame instead.
    {
        let (curve, measuring) = (curve.clone(), measuring.clone());
        use_effect_with((*measuring).clone(), move |progress| {
            let timer = progress.clone().map(|m| {
                Timeout::new(0, move || {
                    let next = m.step();
                    if next.done >= Measuring::total() {
                        curve.set(Some(next.curve()));
                        measuring.set(None);
                    } else {
                        measuring.set(Some(next));
                    }
                })
            });
            move || drop(timer)
        });
    }
    let measure = {
        let measuring = measuring.clone();
        Callback::from(move |_: MouseEvent| {
            if measuring.is_none() {
                measuring.set(Some(Measuring { done: 0, sums: vec![(0, 0); TIMEOUT_RANGES.len()] }));
            }
        })
    };
    let progress = measuring.as_ref().map(|m| {
        let total = Measuring::total();
        html! {
            <p class="measuring" role="status">
                <progress max={total.to_string()} value={m.done.to_string()} aria-label="Simulations run for the chart"></progress>
                { format!(" running simulation {} of {total}…", m.done + 1) }
            </p>
        }
    });
    let clients: Vec<String> =
        props.view.clients.iter().filter_map(|&id| props.names.get(usize::from(id)).cloned()).collect();
    let submit = clients.iter().map(|c| {
        let action = Action::Inject(FaultAction::Command { node: c.clone(), text: "submit".into() });
        let onclick = props.dispatch.reform(move |_: MouseEvent| action.clone());
        html! { <button data-action="client-submit" onclick={onclick}>{ format!("Submit a command from {c}") }</button> }
    });
    let chart = curve.as_ref().map(|points| {
        let labels: Vec<(String, u64)> = points
            .iter()
            .map(|&((min, max), t)| (format!("{min}–{max} ms: {}", format_duration(t)), t / 1000))
            .collect();
        let items: Vec<(&str, u64)> = labels.iter().map(|(l, v)| (l.as_str(), *v)).collect();
        charts::bars("Time to elect a leader after a crash (ms), by election-timeout range, 8 seeds each", &items)
    });
    let now = props.view.now;
    let rows = props.view.servers.iter().map(|s| {
        let name = props.names.get(usize::from(s.node)).cloned().unwrap_or_default();
        let ring = match (s.up, s.role, s.election) {
            (true, Role::Follower | Role::Candidate, Some((armed, timeout))) => {
                let left = 1.0 - (now.saturating_sub(armed) as f64 / timeout.max(1) as f64).min(1.0);
                let circumference = 2.0 * std::f64::consts::PI * 8.0;
                html! {
                    <svg class="timer-ring" viewBox="0 0 20 20" role="img" aria-label={format!("election timer {:.0}% left", left * 100.0)}>
                        <circle class="ring-back" cx="10" cy="10" r="8" />
                        <circle class="ring-left" cx="10" cy="10" r="8" stroke-dasharray={format!("{:.1} {:.1}", circumference * left, circumference)} transform="rotate(-90 10 10)" />
                    </svg>
                }
            }
            _ => html! { <svg class="timer-ring" viewBox="0 0 20 20" aria-hidden="true"></svg> },
        };
        let entries = s.log.iter().enumerate().map(|(i, e)| {
            let index = s.log_offset + i as u64 + 1;
            let committed = index <= s.commit;
            let colour = TERM_COLOURS[(e.term as usize) % TERM_COLOURS.len()];
            html! {
                <span class={classes!("entry", committed.then_some("committed"))} style={format!("background: {colour}")}
                    title={format!("index {index}, term {}, command {}{}", e.term, e.command, if committed { ", committed" } else { "" })}>
                    { e.term }
                </span>
            }
        });
        let role = if s.up { s.role.name() } else { "crashed" };
        let shown = match s.pre_votes.filter(|_| s.up) {
            Some(votes) => format!("{role}, polling ({votes} pre-vote{})", if votes == 1 { "" } else { "s" }),
            None => role.to_string(),
        };
        html! {
            <tr class={classes!(format!("raft-{role}"))}>
                <th>{ name }</th>
                <td>{ ring }</td>
                <td class="raft-role">{ shown }</td>
                <td>{ s.term }</td>
                <td>{ s.voted_for.and_then(|v| props.names.get(usize::from(v)).cloned()).unwrap_or_else(|| "-".into()) }</td>
                <td>{ format!("{} / {}", s.commit, s.last_index) }</td>
                <td class="raft-log">
                    if s.log_offset > 0 { <span class="entry-more">{ format!("…{} ", s.log_offset) }</span> }
                    { for entries }
                </td>
            </tr>
        }
    });
    html! {
        <section class="panel raft-panel" aria-labelledby="raft-h">
            <h2 id="raft-h">{ "Servers and logs" }</h2>
            <div class="raft-tools">
                { for submit }
                <button id="measure-elections" onclick={measure} disabled={measuring.is_some()}>{ "Measure election time against the timeout range" }</button>
            </div>
            { for progress }
            { for chart }
            <table>
                <thead><tr><th>{ "server" }</th><th>{ "timer" }</th><th>{ "role" }</th><th>{ "term" }</th><th>{ "voted for" }</th><th>{ "commit / last" }</th><th>{ "log (by term; committed outlined)" }</th></tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
        </section>
    }
}
