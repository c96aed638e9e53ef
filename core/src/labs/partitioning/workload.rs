//! Which keys the clients touch: uniformly, by a Zipf law, or in time order.
//!
//! The Zipf sampler is Hörmann and Derflinger's rejection-inversion ("Rejection-inversion
//! to generate variates from monotone discrete distributions", ACM TOMACS 6(3), 1996), as
//! Apache Commons RNG's `RejectionInversionZipfSampler` writes it: constant time per draw
//! and no table, so 100,000 keys cost nothing. Its logarithms and exponentials are `libm`'s,
//! the same bits on every target.

use super::map::Key;
use crate::time::Micros;

/// How the workload picks keys.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Distribution {
    Uniform,
    /// Key `k` (rank `k + 1`) drawn with probability proportional to `1 / (k + 1)^s`.
    Zipf(Zipf),
    /// Keys in time order, as timestamps are: the newest key sweeps the key space over the
    /// workload, so every write lands at the end of the key order.
    Sequential,
}

impl Distribution {
    pub const NAMES: [&'static str; 3] = ["uniform", "zipf", "sequential"];

    /// `skew` in hundredths (100 is the classic Zipf law, s = 1).
    pub fn parse(name: &str, keys: u32, skew: u32) -> Distribution {
        match name {
            "zipf" if skew > 0 => Distribution::Zipf(Zipf::new(keys, f64::from(skew) / 100.0)),
            "sequential" => Distribution::Sequential,
            _ => Distribution::Uniform,
        }
    }

    /// A key among `keys`, from a uniform draw `entropy`; `now` of a workload running
    /// until `until` for sequential keys.
    pub fn pick(&self, keys: u32, entropy: u64, now: Micros, until: Micros) -> Key {
        let keys = keys.max(1);
        match self {
            Distribution::Uniform => (entropy % u64::from(keys)) as Key,
            Distribution::Zipf(zipf) => zipf.sample(entropy) - 1,
            Distribution::Sequential => {
                let at = u128::from(now.min(until)) * u128::from(keys) / u128::from(until.max(1));
                (at as u32).min(keys - 1)
            }
        }
    }
}

/// A uniform double in `[0, 1)` from 53 bits of `x`.
fn unit(x: u64) -> f64 {
    (x >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// SplitMix64's step, for the extra draws a rejection needs.
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    super::schemes::key_hash(*state)
}

/// A Zipf distribution over ranks `1..=n` with exponent `s > 0`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Zipf {
    n: f64,
    exponent: f64,
    h_integral_x1: f64,
    h_integral_n: f64,
    s: f64,
}

impl Zipf {
    pub fn new(n: u32, exponent: f64) -> Zipf {
        let exponent = exponent.max(1e-6);
        let n = f64::from(n.max(1));
        let h_integral_x1 = h_integral(1.5, exponent) - 1.0;
        let h_integral_n = h_integral(n + 0.5, exponent);
        let s = 2.0 - h_integral_inverse(h_integral(2.5, exponent) - h(2.0, exponent), exponent);
        Zipf { n, exponent, h_integral_x1, h_integral_n, s }
    }

    /// A rank in `1..=n` from the uniform draw `entropy`.
    pub fn sample(&self, entropy: u64) -> u32 {
        let mut state = entropy;
        let mut draw = entropy;
        // The acceptance rate is high (above 90% for any exponent); bound the loop anyway.
        for _ in 0..64 {
            let u = self.h_integral_n + unit(draw) * (self.h_integral_x1 - self.h_integral_n);
            let x = h_integral_inverse(u, self.exponent);
            let k = libm::floor(x + 0.5).clamp(1.0, self.n);
            if k - x <= self.s || u >= h_integral(k + 0.5, self.exponent) - h(k, self.exponent) {
                return k as u32;
            }
            draw = next(&mut state);
        }
        1
    }
}

/// `h(x) = x^-s`.
fn h(x: f64, exponent: f64) -> f64 {
    libm::exp(-exponent * libm::log(x))
}

/// `H(x)`, the integral of `h`, written to stay accurate near `s = 1`.
fn h_integral(x: f64, exponent: f64) -> f64 {
    let log_x = libm::log(x);
    helper2((1.0 - exponent) * log_x) * log_x
}

fn h_integral_inverse(x: f64, exponent: f64) -> f64 {
    let t = (x * (1.0 - exponent)).max(-1.0);
    libm::exp(helper1(t) * x)
}

/// `log(1 + x) / x`, and its series near 0.
fn helper1(x: f64) -> f64 {
    if libm::fabs(x) > 1e-8 {
        libm::log1p(x) / x
    } else {
        1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x))
    }
}

/// `(exp(x) - 1) / x`, and its series near 0.
fn helper2(x: f64) -> f64 {
    if libm::fabs(x) > 1e-8 {
        libm::expm1(x) / x
    } else {
        1.0 + x * 0.5 * (1.0 + x * (1.0 / 3.0) * (1.0 + 0.25 * x))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Frequencies of ranks 1..=3 over many draws against the exact probabilities
    /// `k^-s / H(n, s)`.
    fn check(n: u32, s: f64) {
        let zipf = Zipf::new(n, s);
        let draws = 200_000u64;
        let mut counts = [0u64; 4];
        let mut state = 42u64;
        for _ in 0..draws {
            let k = zipf.sample(next(&mut state));
            assert!((1..=n).contains(&k));
            if k <= 3 {
                counts[k as usize] += 1;
            }
        }
        let harmonic: f64 = (1..=n).map(|k| libm::pow(f64::from(k), -s)).sum();
        for k in 1..=3u32 {
            let expected = libm::pow(f64::from(k), -s) / harmonic;
            let seen = counts[k as usize] as f64 / draws as f64;
            assert!((seen - expected).abs() < 0.01, "n={n} s={s} rank {k}: {seen} against {expected}");
        }
    }

    #[test]
    fn zipf_frequencies_match_the_law() {
        check(1000, 1.0);
        check(100, 0.8);
        check(100_000, 1.2);
        check(10, 2.0);
    }

    #[test]
    fn sequential_keys_sweep_the_space_over_the_workload() {
        let d = Distribution::Sequential;
        assert_eq!(d.pick(100, 7, 0, 1000), 0);
        assert_eq!(d.pick(100, 7, 500, 1000), 50);
        assert_eq!(d.pick(100, 7, 5000, 1000), 99);
    }
}
