//! Virtual time: integer microseconds, never floats and never a wall clock.
//!
//! Durations are written the way people type them (`250us`, `1.5ms`, `2s`, `1m`, `1h`) and
//! parsed with integer arithmetic only, so the same text means the same instant everywhere.

use alloc::format;
use alloc::string::String;

/// A point in virtual time, or a duration, in microseconds.
pub type Micros = u64;

pub const MICROS_PER_MS: Micros = 1_000;
pub const MICROS_PER_SEC: Micros = 1_000_000;

/// Parses `"250us"`, `"1.5ms"`, `"60s"`, `"2m"` or `"1h"` into microseconds.
pub fn parse_duration(text: &str) -> Result<Micros, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(|| format!("duration `{text}` has no unit (use us, ms, s, m or h)"))?;
    let (number, unit) = text.split_at(split);
    let scale: Micros = match unit {
        "us" | "µs" => 1,
        "ms" => MICROS_PER_MS,
        "s" => MICROS_PER_SEC,
        "m" | "min" => 60 * MICROS_PER_SEC,
        "h" => 3_600 * MICROS_PER_SEC,
        _ => return Err(format!("duration `{text}` has unknown unit `{unit}` (use us, ms, s, m or h)")),
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty() {
        return Err(format!("duration `{text}` has no number"));
    }
    if fraction.contains('.') || fraction.len() > 9 {
        return Err(format!("duration `{text}` is not a plain decimal number"));
    }
    let too_long = || format!("duration `{text}` is too long");
    let whole: Micros = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| too_long())? };
    let mut total = whole.checked_mul(scale).ok_or_else(too_long)?;
    let mut place = scale;
    for digit in fraction.bytes() {
        place /= 10;
        total = total.checked_add(Micros::from(digit - b'0') * place).ok_or_else(too_long)?;
    }
    Ok(total)
}

/// Formats a time as seconds with microsecond precision: `12.000345s`.
pub fn format_time(at: Micros) -> String {
    format!("{}.{:06}s", at / MICROS_PER_SEC, at % MICROS_PER_SEC)
}

/// Formats a duration compactly for people: `350us`, `12.5ms`, `3.2s`.
pub fn format_duration(span: Micros) -> String {
    if span < MICROS_PER_MS {
        format!("{span}us")
    } else if span < MICROS_PER_SEC {
        format!("{}.{}ms", span / MICROS_PER_MS, (span % MICROS_PER_MS) / 100)
    } else {
        format!("{}.{}s", span / MICROS_PER_SEC, (span % MICROS_PER_SEC) / 100_000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_fractions() {
        assert_eq!(parse_duration("250us"), Ok(250));
        assert_eq!(parse_duration("1.5ms"), Ok(1_500));
        assert_eq!(parse_duration("60s"), Ok(60_000_000));
        assert_eq!(parse_duration(".5s"), Ok(500_000));
        assert_eq!(parse_duration("2m"), Ok(120_000_000));
        assert_eq!(parse_duration("1h"), Ok(3_600_000_000));
    }

    #[test]
    fn rejects_nonsense_with_a_reason() {
        assert!(parse_duration("60").unwrap_err().contains("no unit"));
        assert!(parse_duration("5 parsecs").unwrap_err().contains("unknown unit"));
        assert!(parse_duration("s").unwrap_err().contains("no number"));
        assert!(parse_duration("1.2.3s").is_err());
        assert!(parse_duration("99999999999999999999h").unwrap_err().contains("too long"));
    }

    #[test]
    fn formats_for_traces_and_people() {
        assert_eq!(format_time(12_000_345), "12.000345s");
        assert_eq!(format_duration(350), "350us");
        assert_eq!(format_duration(12_500), "12.5ms");
        assert_eq!(format_duration(3_200_000), "3.2s");
    }
}
