//! The transactions lab's page: its explain panel, and its own picture for each pattern:
//! the banks with their accounts, locks and transactions in doubt, and every lock as a bar
//! over the last seconds; the sagas as rows of steps and compensations beside the services'
//! books; the outbox table, the relay, the broker's log and the consumer.

use playground_core::sort;
use std::rc::Rc;

use playground_core::labs::transactions::msg::{saga, tx, write, Account, COMPENSATIONS, STEPS};
use playground_core::labs::transactions::{
    LockBar, OutboxView, TransactionsView, LOCK_BARS_KEPT, LOCK_WINDOW as WINDOW,
};
use playground_core::time::{format_duration, format_time, Micros};
use yew::prelude::*;

use crate::lab::charts::{self, TimeAxis};
use crate::lab::explain::panel;

pub fn explain() -> Html {
    panel(
        &[
            "Two-phase commit: clients c1… ask the coordinator co to move money between accounts at two \
             banks p1, p2, …. Each bank locks the account, logs that it is prepared and votes; if both vote \
             yes the coordinator logs the decision and only then sends it. Between its vote and the \
             decision a bank may not decide alone: it is uncertain, holding the lock. Three-phase commit \
             adds a pre-commit round so that banks can finish without the coordinator.",
            "Sagas: an order is six local transactions on four services (create the order, charge, reserve, \
             ship, confirm, approve); when one fails the steps before it are compensated, newest first. \
             The outbox: a service writes its database and must publish an event to the broker mq for the \
             consumer cons; the table below shows what is committed, waiting in the outbox, and delivered.",
        ],
        &[
            "Press 2PC: a coordinator crash blocks and watch the lock bars turn to in doubt until co is \
             back; then 3PC: a coordinator crash does not block.",
            "Press 2PC: sending before logging: the guarantees name the transaction committed at one bank \
             and aborted at the other, and the money that vanished.",
            "Press Saga: choreography, then Saga: blind compensation: a refund for a charge that never ran.",
            "Press Outbox: dual write loses events, then Outbox: the same outage, nothing lost.",
        ],
    )
}

#[derive(Properties, PartialEq)]
pub struct TransactionsPanelProps {
    pub view: Rc<TransactionsView>,
}

#[function_component]
pub fn TransactionsPanel(props: &TransactionsPanelProps) -> Html {
    let v = &props.view;
    let body = match v.pattern {
        "saga" => sagas(v),
        "outbox" => v.outbox.as_ref().map(outbox).unwrap_or_default(),
        _ => html! { <>{ banks(v) }{ lock_bars(v) }</> },
    };
    html! {
        <section class="panel tx-panel" aria-labelledby="tx-h">
            <h2 id="tx-h">{ heading(v) }</h2>
            { body }
        </section>
    }
}

fn heading(v: &TransactionsView) -> String {
    match v.pattern {
        "2pc" | "3pc" => {
            let label = if v.pattern == "2pc" { "Two-phase commit" } else { "Three-phase commit" };
            let co = match v.coordinator {
                Some((active, awaiting)) => format!("co: {active} under way, {awaiting} decisions awaiting acks"),
                None => "co is down".into(),
            };
            let flight = match v.in_flight {
                0 => String::new(),
                n => format!(" (+{n} in flight)"),
            };
            format!("{label} · the accounts hold {} of {}{flight} · {co}", v.money, v.initial)
        }
        "saga" if v.choreography => "Sagas, choreographed: no one holds a saga's state".into(),
        "saga" => "Sagas, orchestrated: the orchestrator's log says where each stands".into(),
        _ => "Transactional outbox".into(),
    }
}

fn banks(v: &TransactionsView) -> Html {
    let rows = v.banks.iter().map(|b| {
        if !b.up {
            return html! { <tr class="tx-down"><th>{ &b.name }</th><td colspan="2">{ "down: its log is on disk, its locks are not held by anyone running" }</td></tr> };
        }
        let accounts = b.accounts.iter().map(|&(a, balance, lock)| {
            let locked = lock.map(|t| format!(" · locked by {}", tx(t))).unwrap_or_default();
            html! { <li class={classes!(lock.is_some().then_some("tx-locked"))}>{ format!("{} {balance}{locked}", Account(a)) }</li> }
        });
        let uncertain = b.uncertain.iter().map(|&(t, since, doubt)| {
            let age = format_duration(v.now.saturating_sub(since));
            let what = if doubt { "in doubt" } else { "prepared" };
            html! { <li class={classes!(doubt.then_some("tx-doubt"))}>{ format!("{} {what} for {age}", tx(t)) }</li> }
        });
        html! {
            <tr>
                <th>{ &b.name }</th>
                <td><ul class="tx-list">{ for accounts }</ul></td>
                <td><ul class="tx-list">{ for uncertain }</ul></td>
            </tr>
        }
    });
    html! {
        <table class="tx-banks">
            <caption>{ "Banks: accounts, and the transactions each has voted yes for (uncertain: it may not decide alone)" }</caption>
            <thead><tr><th>{ "bank" }</th><th>{ "accounts" }</th><th>{ "uncertain" }</th></tr></thead>
            <tbody>{ for rows }</tbody>
        </table>
    }
}

fn lock_bars(v: &TransactionsView) -> Html {
    let start = v.now.saturating_sub(WINDOW);
    let mut accounts: Vec<u8> = v.banks.iter().flat_map(|b| b.accounts.iter().map(|a| a.0)).collect();
    accounts.extend(v.locks.iter().map(|l| l.account));
    sort::ascending(&mut accounts);
    accounts.dedup();
    let (left, width, row) = (34.0, 560.0, 14.0);
    // Bars are drawn against a fixed origin and slide left together as time passes (one
    // transform, under a clip to the plot), so a closed bar's element never changes and a
    // frame updates only the open bars. The origin moves once a window, keeping coordinates
    // small.
    let time_axis = TimeAxis::new(start, WINDOW, width / WINDOW as f64);
    let (origin, scale) = (time_axis.origin, time_axis.scale);
    let x = |t: Micros| time_axis.x(t);
    let shift = time_axis.shift(start, left);
    let y = |a: u8| accounts.iter().position(|&x| x == a).unwrap_or(0) as f64 * row + 4.0;
    let shown: Vec<&LockBar> = v.locks.iter().filter(|l| l.to.is_none_or(|to| to >= start)).collect();
    let bars = shown.iter().map(|l| {
        let (x0, x1) = (x(l.from.max(origin)), x(l.to.unwrap_or(v.now)));
        let class = classes!("tx-bar", l.in_doubt.then_some("doubt"), l.to.is_none().then_some("open"));
        let title = format!(
            "{} held {} by {} for {}{}",
            Account(l.account),
            if l.to.is_none() { "now" } else { "" },
            tx(l.tx),
            format_duration(l.to.unwrap_or(v.now) - l.from),
            if l.in_doubt { ", in doubt" } else { "" }
        );
        html! {
            <rect key={format!("{:?}-{}-{}", l.tx, l.account, l.from)} class={class} x={format!("{x0:.1}")} y={format!("{:.1}", y(l.account))} width={format!("{:.1}", (x1 - x0).max(1.5))} height="10">
                <title>{ title }</title>
            </rect>
        }
    });
    let labels = accounts.iter().map(|&a| {
        html! { <text x="2" y={format!("{:.1}", y(a) + 9.0)}>{ Account(a).to_string() }</text> }
    });
    let height = accounts.len() as f64 * row + 18.0;
    let open = v.locks.iter().filter(|l| l.to.is_none()).count();
    // So many locks ended within the window that the oldest were not kept: the part of the
    // window they leave blank is shaded and said to be incomplete, not shown as idle.
    let gap_end = v.locks_complete_from.clamp(start, v.now);
    let gap = (gap_end > start).then(|| {
        let gap_width = (gap_end - start) as f64 * scale;
        html! {
            <rect class="tx-gap" x={left.to_string()} y="0" width={format!("{gap_width:.1}")} height={format!("{:.1}", height - 14.0)}>
                <title>{ format!("Not every lock before {} is kept", format_time(gap_end)) }</title>
            </rect>
        }
    });
    let mut caption = format!(
        "Locks held, per account, over the last {}: a bar for each transaction holding one; orange and hatched while its bank was in doubt.",
        format_duration(WINDOW)
    );
    if gap.is_some() {
        caption += &format!(
            " So many ended that only {LOCK_BARS_KEPT} closed bars are kept: before {} (shaded) some are missing.",
            format_time(gap_end)
        );
    }
    html! {
        <figure class="tx-locks">
            <svg viewBox={format!("0 0 {} {height:.0}", left + width + 4.0)} role="img"
                aria-label={format!("Locks held over the last {}: {open} held now", format_duration(WINDOW))}>
                { for labels }
                { for gap }
                { charts::sliding_plot("tx-locks-plot", (left, width, height), shift, html! { <>{ for bars }</> }, Html::default()) }
                <text x={left.to_string()} y={format!("{:.0}", height - 2.0)}>{ format!("−{}", format_duration(WINDOW)) }</text>
                <text x={format!("{:.0}", left + width)} y={format!("{:.0}", height - 2.0)} text-anchor="end">{ "now" }</text>
            </svg>
            <figcaption>{ caption }</figcaption>
        </figure>
    }
}

fn sagas(v: &TransactionsView) -> Html {
    let books = v.books.map(|(stock, pending, credit)| {
        html! { <p class="tx-books">{ format!("Inventory: {stock} in stock, {pending} reserved by sagas still running · customers' credit left: {credit}") }</p> }
    });
    let head = STEPS.iter().map(|s| html! { <th scope="col">{ *s }</th> });
    let rows = v.sagas.iter().map(|row| {
        let cells = (0..STEPS.len()).map(|i| {
            let (ran, failed) = (row.steps[i], row.failed == Some(i as u8));
            let undone = row.undone.get(i).copied().unwrap_or(0);
            let (text, class) = match (ran, undone, failed) {
                (0, 0, true) => ("failed".to_string(), "failed"),
                (0, 0, false) => (String::new(), ""),
                (0, _, _) => (format!("{} without the step", COMPENSATIONS[i]), "wrong"),
                (1, 0, _) => ("done".to_string(), "done"),
                (1, 1, _) => (format!("done, {}", COMPENSATIONS[i]), "undone"),
                (r, u, _) => (format!("{r}× done, {u}× undone"), "wrong"),
            };
            html! { <td class={classes!("tx-step", class)}>{ text }</td> }
        });
        let end = match row.ended {
            Some(true) => "completed",
            Some(false) => "compensated",
            None => "running",
        };
        let logged = match (v.choreography, row.logged) {
            (true, _) => "—".to_string(),
            (false, Some((step, false))) => format!("at {}", STEPS[usize::from(step)]),
            (false, Some((step, true))) => format!("at {}", COMPENSATIONS[usize::from(step).min(2)]),
            (false, None) => "ended".into(),
        };
        html! { <tr><th>{ saga(row.saga).to_string() }</th>{ for cells }<td>{ end }</td><td>{ logged }</td></tr> }
    });
    html! {
        <>
            { for books }
            <table class="tx-sagas">
                <caption>{ "The latest sagas, as the services report their steps (done, failed, compensated)" }</caption>
                <thead><tr><th>{ "saga" }</th>{ for head }<th>{ "outcome" }</th><th>{ if v.choreography { "anyone's log" } else { "orchestrator's log" } }</th></tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
        </>
    }
}

fn outbox(o: &OutboxView) -> Html {
    let unsent: Vec<String> = o.unsent.iter().take(12).map(|&id| write(id).to_string()).collect();
    let more = o.unsent.len().saturating_sub(12);
    let unsent = if unsent.is_empty() {
        "empty".to_string()
    } else if more > 0 {
        format!("{} and {more} more", unsent.join(", "))
    } else {
        unsent.join(", ")
    };
    html! {
        <table class="tx-outbox">
            <caption>{ "From the service's database to the consumer" }</caption>
            <tbody>
                <tr><th>{ "svc: rows committed" }</th><td>{ o.rows }</td></tr>
                <tr><th>{ "svc: outbox rows not yet published" }</th><td>{ unsent }</td></tr>
                <tr><th>{ "svc: events being published" }</th><td>{ o.publishing }</td></tr>
                <tr><th>{ "mq: events in the log · not yet acknowledged" }</th><td>{ format!("{} · {}", o.logged, o.unconsumed) }</td></tr>
                <tr><th>{ "cons: writes whose event was applied" }</th><td>{ o.applied }</td></tr>
                <tr><th>{ "committed, event not applied yet" }</th><td>{ o.waiting }</td></tr>
                <tr class={classes!((o.lost + o.phantoms + o.duplicates > 0).then_some("tx-bad"))}>
                    <th>{ "lost (counted at the end) · phantom · applied twice" }</th>
                    <td>{ format!("{} · {} · {}", o.lost, o.phantoms, o.duplicates) }</td>
                </tr>
            </tbody>
        </table>
    }
}
