//! TrueTime on this machine's real clock, through `playground-bridge`.
//!
//! The panel connects to the bridge (automatically when the page is served from this
//! machine or the URL names a bridge with `&bridge=`, otherwise with the Connect button),
//! keeps the newest sample as core's `LiveInterval`, and asks core which interval to show:
//! the hardware one while it is fresh, else the simulated model (this browser's clock ± the
//! simulated ε), with a notice saying why. Commit-wait runs on whichever interval that is,
//! in real time. When the connection drops it retries with backoff.

use gloo_timers::callback::{Interval, Timeout};
use playground_core::hardware_time::{
    format_span_ns, format_time_of_day_ns, BridgeMessage, CommitWait, HardwareSample, Hello, LiveInterval, Said,
};
use playground_core::labs::clocks::physical::{interval_with_fallback, ModelSource, TimeSource, TtInterval};
use yew::prelude::*;

use crate::bridge::{self, monotonic_ns, wall_ns, Connection, Event, WALL_RESOLUTION_NS};
use crate::dom;

const KEPT_COMMITS: usize = 5;
const LONGEST_RETRY_S: u32 = 30;

#[derive(Properties, PartialEq)]
pub struct Props {
    /// The simulated ε to fall back on, in nanoseconds.
    pub model_epsilon_ns: i64,
    /// Sets the simulation's ε floor to this many microseconds (a recorded knob change).
    pub on_use_epsilon: Callback<i64>,
}

pub enum Msg {
    Connect,
    Event(Event),
    Retry,
    Tick,
    Commit,
    Address(String),
}

enum Link {
    Idle,
    Connecting,
    Open,
    Gone { why: String, retry_at_ms: Option<f64> },
}

struct Commit {
    wait: CommitWait,
    source: String,
}

pub struct HardwarePanel {
    address: String,
    address_error: Option<String>,
    connection: Option<Connection>,
    link: Link,
    hello: Option<String>,
    live: Option<LiveInterval>,
    said: Option<String>,
    failures: u32,
    retry: Option<Timeout>,
    _ticker: Interval,
    commits: Vec<Commit>,
}

impl HardwarePanel {
    /// The interval to use now and where it came from, as core decides.
    fn current(&self, ctx: &Context<Self>) -> (TtInterval, String) {
        let model = ModelSource { pt: wall_ns(), epsilon: ctx.props().model_epsilon_ns };
        let mut hardware = self.live.as_ref().map(|live| live.source_at(monotonic_ns()));
        interval_with_fallback(hardware.as_mut().map(|source| source as &mut dyn TimeSource), model)
    }

    fn take_frame(&mut self, message: BridgeMessage) {
        match message {
            BridgeMessage::Hello(Hello { bridge, source, rate_hz, .. }) => {
                self.hello = Some(format!("{bridge}, serving {}, {rate_hz} samples/s", source.name()))
            }
            BridgeMessage::Sample(sample) => {
                self.live = Some(LiveInterval::arrived(sample, monotonic_ns(), wall_ns(), WALL_RESOLUTION_NS))
            }
            BridgeMessage::Notice(Said { message }) => self.said = Some(format!("The bridge says: {message}")),
            BridgeMessage::Error(Said { message }) => {
                self.said = Some(format!("The bridge refused a message: {message}"))
            }
        }
    }

    fn schedule_retry(&mut self, ctx: &Context<Self>, why: String) {
        self.failures += 1;
        let delay_s = (1u32 << self.failures.min(5)).min(LONGEST_RETRY_S);
        let link = ctx.link().clone();
        self.retry = Some(Timeout::new(delay_s * 1_000, move || link.send_message(Msg::Retry)));
        self.link = Link::Gone { why, retry_at_ms: Some(dom::now_ms() + f64::from(delay_s) * 1_000.0) };
    }
}

impl Component for HardwarePanel {
    type Message = Msg;
    type Properties = Props;

    fn create(ctx: &Context<Self>) -> Self {
        let query = dom::query();
        let (address, address_error) = bridge::address_from_query(&query);
        let asked = crate::route::query_value(&query, "bridge").is_some();
        if bridge::page_is_local() || asked {
            ctx.link().send_message(Msg::Connect);
        }
        let link = ctx.link().clone();
        HardwarePanel {
            address,
            address_error,
            connection: None,
            link: Link::Idle,
            hello: None,
            live: None,
            said: None,
            failures: 0,
            retry: None,
            _ticker: Interval::new(200, move || link.send_message(Msg::Tick)),
            commits: Vec::new(),
        }
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        match msg {
            Msg::Connect | Msg::Retry => {
                self.retry = None;
                self.connection = None;
                match Connection::open(&self.address, ctx.link().callback(Msg::Event)) {
                    Ok(connection) => {
                        self.connection = Some(connection);
                        self.link = Link::Connecting;
                    }
                    Err(why) => self.link = Link::Gone { why, retry_at_ms: None },
                }
            }
            Msg::Event(Event::Opened) => {
                self.link = Link::Open;
                self.failures = 0;
            }
            Msg::Event(Event::Frame(Ok(message))) => self.take_frame(message),
            Msg::Event(Event::Frame(Err(why))) => self.said = Some(why),
            Msg::Event(Event::Closed { why }) => {
                self.connection = None;
                self.live = None;
                self.hello = None;
                self.schedule_retry(ctx, why);
            }
            Msg::Tick => {
                let (tt, _) = self.current(ctx);
                let now = monotonic_ns();
                for commit in &mut self.commits {
                    commit.wait.advance(tt, now);
                }
                return self.live.is_some()
                    || matches!(self.link, Link::Gone { retry_at_ms: Some(_), .. })
                    || self.commits.iter().any(|commit| commit.wait.finished_ns.is_none());
            }
            Msg::Commit => {
                let (tt, source) = self.current(ctx);
                self.commits.insert(0, Commit { wait: CommitWait::start(tt, monotonic_ns()), source });
                self.commits.truncate(KEPT_COMMITS);
            }
            Msg::Address(address) => {
                self.address = address;
                self.address_error = None;
            }
        }
        true
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let (tt, source) = self.current(ctx);
        let fresh = self.live.as_ref().filter(|live| !live.is_stale(monotonic_ns()));
        let on_hardware = fresh.is_some();
        let epsilon = tt.epsilon();
        let oninput = ctx.link().callback(|event: InputEvent| {
            let input: web_sys::HtmlInputElement = event.target_unchecked_into();
            Msg::Address(input.value())
        });
        html! {
            <div class="hardware-time" aria-labelledby="hardware-h">
                <h3 id="hardware-h">{ "TrueTime on this machine's clock" }</h3>
                // Only the source is a live region: ε changes five times a second.
                <p class={classes!("time-source", if on_hardware { "hardware" } else { "simulated" })}>
                    <span role="status">{ source }</span>{ format!(", ε = {}", format_span_ns(epsilon)) }
                </p>
                { self.fallback_notice(on_hardware) }
                { interval_bar(tt) }
                { fresh.map(|live| bound_table(&live.sample)).unwrap_or_default() }
                <div class="bridge-controls">
                    <label>{ "Bridge " }<input type="url" value={self.address.clone()} {oninput} aria-label="Bridge address" /></label>
                    <button onclick={ctx.link().callback(|_| Msg::Connect)}>{ "Connect" }</button>
                    if on_hardware {
                        <button class="use-epsilon" onclick={let use_it = ctx.props().on_use_epsilon.clone(); move |_| use_it.emit((epsilon + 999) / 1_000)}
                            title="Set the simulation's ε floor to this machine's ε; the change is recorded in the fault script, so the run still replays">
                            { "Use this ε in the simulation" }
                        </button>
                    }
                    <button class="commit" onclick={ctx.link().callback(|_| Msg::Commit)}
                        title="Take s = TT.now().latest and wait until TT.after(s), as Spanner does before acknowledging">
                        { "Commit a write (commit-wait)" }
                    </button>
                </div>
                if let Some(error) = &self.address_error { <p class="notice" role="alert">{ error.clone() }</p> }
                if let Some(said) = &self.said { <p class="bridge-said">{ said.clone() }</p> }
                if let Some(hello) = &self.hello { <p class="help">{ format!("Connected: {hello}.") }</p> }
                { commit_list(&self.commits) }
            </div>
        }
    }
}

impl HardwarePanel {
    fn fallback_notice(&self, on_hardware: bool) -> Html {
        if on_hardware {
            return Html::default();
        }
        let state = match &self.link {
            Link::Idle => "Not connected to a bridge.".to_string(),
            Link::Connecting => format!("Looking for a bridge at {}…", self.address),
            Link::Open => "The bridge has sent no sample for 3 s.".to_string(),
            Link::Gone { why, retry_at_ms } => {
                let retry = retry_at_ms.map_or(String::new(), |at| {
                    format!(" Retrying in {} s.", ((at - dom::now_ms()) / 1_000.0).ceil().max(0.0))
                });
                format!("{}{retry}", capitalised(why))
            }
        };
        html! {
            <p class="notice fallback">
                { state }{ " Showing the simulated clock model (this browser's clock ± the simulated ε). For real hardware time run " }
                <code>{ "cargo run --release -p playground-bridge" }</code>{ " on this machine." }
            </p>
        }
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| first.to_uppercase().chain(chars).collect())
}

/// The interval against this browser's clock (the line).
fn interval_bar(tt: TtInterval) -> Html {
    let wall = wall_ns();
    let reach =
        tt.earliest.saturating_sub(wall).saturating_abs().max(tt.latest.saturating_sub(wall).saturating_abs()).max(1)
            as f64
            * 1.15;
    let x = |at: i64| 150.0 + 140.0 * at.saturating_sub(wall) as f64 / reach;
    let label = format!(
        "Interval from {} to {} UTC; this browser's clock reads {}",
        format_time_of_day_ns(tt.earliest),
        format_time_of_day_ns(tt.latest),
        format_time_of_day_ns(wall)
    );
    html! {
        <figure class="hardware-interval">
            <svg viewBox="0 0 300 22" role="img" aria-label={label.clone()}>
                <rect class="interval" x={format!("{:.1}", x(tt.earliest))} width={format!("{:.1}", (x(tt.latest) - x(tt.earliest)).max(1.0))} y="6" height="10" />
                <line class="truth" x1="150" x2="150" y1="0" y2="22" />
            </svg>
            <figcaption>{ format!("earliest {} · latest {} UTC · the line is this browser's clock", format_time_of_day_ns(tt.earliest), format_time_of_day_ns(tt.latest)) }</figcaption>
        </figure>
    }
}

/// What the hardware bound is made of.
fn bound_table(sample: &HardwareSample) -> Html {
    let synchronized = if sample.synchronized {
        "The source says it is synchronised to a reference."
    } else {
        "The source says it is NOT synchronised: no time daemon vouches for this clock, so the bound is the kernel's cap."
    };
    html! {
        <table class="bound-table">
            <caption>{ format!("What the bound is made of ({}, sample {}). {synchronized}", sample.device, sample.seq) }</caption>
            <thead><tr><th>{ "term" }</th><th>{ "below" }</th><th>{ "above" }</th></tr></thead>
            <tbody>
                { for sample.bound.iter().map(|term| html! {
                    <tr><td>{ term.what.clone() }</td><td>{ format_span_ns(term.below_ns as i64) }</td><td>{ format_span_ns(term.above_ns as i64) }</td></tr>
                }) }
                <tr><td>{ "carried forward on this browser's clock since the sample (500 ppm)" }</td><td colspan="2">{ "grows with age" }</td></tr>
            </tbody>
        </table>
    }
}

fn commit_list(commits: &[Commit]) -> Html {
    if commits.is_empty() {
        return Html::default();
    }
    let now = monotonic_ns();
    let items = commits.iter().map(|commit| {
        let wait = &commit.wait;
        let text = match wait.waited_ns() {
            Some(waited) => format!(
                "s = {} UTC: acknowledged after {} (2ε was {}) on {}",
                format_time_of_day_ns(wait.timestamp),
                format_span_ns(waited),
                format_span_ns(wait.epsilon_ns.saturating_mul(2)),
                commit.source
            ),
            None => format!(
                "s = {} UTC: commit-waiting, {} so far (expect about 2ε = {})",
                format_time_of_day_ns(wait.timestamp),
                format_span_ns(now.saturating_sub(wait.started_ns)),
                format_span_ns(wait.epsilon_ns.saturating_mul(2))
            ),
        };
        html! { <li class={classes!(wait.finished_ns.is_none().then_some("waiting"))}>{ text }</li> }
    });
    html! { <ol class="commit-waits" aria-label="Commits and their commit-wait">{ for items }</ol> }
}
