//! Fuzzing the ways in: share-link decoding, scenario validation and fault scripts get
//! random and mutated input, and must answer with an error, never a panic.

use playground_core::base64url;
use playground_core::fault::parse_script;
use playground_core::lab;
use playground_core::rng::Rng;
use playground_core::scenario::Scenario;

fn valid_link() -> String {
    let mut s = Scenario::new("network", 99);
    s.set_param("loss", "20");
    s.set_param("s1.cpu_us", "900");
    s.faults = parse_script("1s crash s1; 2s partition c1,s1 | s2; 3s set dup=5; 4s heal").unwrap();
    s.at = 2_000_000;
    s.encode()
}

/// Decodes, then starts and briefly runs whatever decodes, which checks the meaning too.
fn exercise(text: &str) {
    if let Ok(scenario) = Scenario::decode(text) {
        if let Ok(mut run) = lab::start(&scenario) {
            run.run_until(scenario.at.min(500_000));
        }
    }
}

#[test]
fn random_text_never_panics() {
    let mut rng = Rng::seeded(1);
    let alphabet: Vec<char> = "ABCxyz019-_=+/ .%€\u{0}".chars().collect();
    for _ in 0..20_000 {
        let len = rng.below(80) as usize;
        let text: String = (0..len).map(|_| alphabet[rng.below(alphabet.len() as u64) as usize]).collect();
        exercise(&text);
    }
}

#[test]
fn random_bytes_behind_a_valid_version_never_panic() {
    let mut rng = Rng::seeded(2);
    for _ in 0..20_000 {
        let len = rng.below(120) as usize;
        let mut bytes = vec![1u8];
        bytes.extend((0..len).map(|_| rng.below(256) as u8));
        exercise(&base64url::encode(&bytes));
    }
}

#[test]
fn mutated_links_never_panic_and_mostly_say_why() {
    let good = base64url::decode(&valid_link()).unwrap();
    let mut rng = Rng::seeded(3);
    let mut errors = 0;
    for _ in 0..20_000 {
        let mut bytes = good.clone();
        for _ in 0..rng.between(1, 4) {
            match rng.below(3) {
                0 if !bytes.is_empty() => {
                    let i = rng.below(bytes.len() as u64) as usize;
                    bytes[i] ^= 1 << rng.below(8);
                }
                1 if !bytes.is_empty() => {
                    bytes.truncate(rng.below(bytes.len() as u64) as usize);
                }
                _ => {
                    let i = rng.below(bytes.len() as u64 + 1) as usize;
                    bytes.insert(i, rng.below(256) as u8);
                }
            }
        }
        let text = base64url::encode(&bytes);
        match Scenario::decode(&text) {
            Ok(s) => {
                if let Err(e) = lab::start(&s) {
                    assert!(!e.to_string().is_empty());
                    errors += 1;
                } else {
                    exercise(&text);
                }
            }
            Err(e) => {
                assert!(!e.to_string().is_empty());
                errors += 1;
            }
        }
    }
    assert!(errors > 10_000, "only {errors} of 20000 mutations were refused");
}

#[test]
fn fault_script_parser_never_panics() {
    let mut rng = Rng::seeded(4);
    let words = [
        "1s",
        "2.5ms",
        "crash",
        "restart",
        "pause",
        "partition",
        "cut",
        "slow",
        "heal",
        "set",
        "s1",
        "c1",
        "s1-s2",
        "s1>s2",
        "x5",
        "|",
        ",",
        ";",
        "loss=5",
        "=",
        "-",
        ">",
        "€",
        "99999999999h",
    ];
    for _ in 0..20_000 {
        let text: Vec<&str> = (0..rng.below(10)).map(|_| words[rng.below(words.len() as u64) as usize]).collect();
        if let Ok(faults) = parse_script(&text.join(" ")) {
            let mut s = Scenario::new("network", 1);
            s.faults = faults;
            let _ = lab::start(&s);
        }
    }
}
