//! The ranges of the settings that flags and shadowdiff.toml share, checked the same way for
//! both: each check says what is wrong and what is allowed, and the caller names the flag, or
//! the file and line.

use std::time::Duration;

/// The longest duration a setting takes (timeouts, drain): a day.
pub const MAX_DURATION: Duration = Duration::from_secs(24 * 60 * 60);
/// The lowest `rate`: one exchange every 1000 seconds.
pub const MIN_RATE: f64 = 0.001;
/// The most retries of a call that did not reach its target (the backoff doubles each time).
pub const MAX_RETRIES: u32 = 10;

/// What `parse_duration` accepts, for messages.
const DURATION_FORMS: &str = "write e.g. 500ms, 10s, 2m or 1h 30m, at most 24h";

/// Parses `250ms`, `1.5s`, `2m`, `1h 30m` (humantime's units) or a plain number of seconds; it
/// must be more than 0 and at most [`MAX_DURATION`].
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let duration = match text.parse::<f64>() {
        Ok(seconds) => return seconds_duration(seconds).map_err(|why| format!("`{text}` {why}")),
        Err(_) => humantime::parse_duration(text)
            .map_err(|err| format!("`{text}` is not a duration ({err}); {DURATION_FORMS}"))?,
    };
    bounded(duration).map_err(|why| format!("`{text}` {why}"))
}

/// A duration given as a number of seconds (a TOML number, `ready_timeout = 900`).
pub fn seconds_duration(seconds: f64) -> Result<Duration, String> {
    let duration = Duration::try_from_secs_f64(seconds)
        .map_err(|_| format!("is not a duration: {DURATION_FORMS}"))?;
    bounded(duration)
}

fn bounded(duration: Duration) -> Result<Duration, String> {
    if duration.is_zero() {
        return Err(format!("is not a positive duration: {DURATION_FORMS}"));
    }
    if duration > MAX_DURATION {
        return Err(format!("is longer than 24h: {DURATION_FORMS}"));
    }
    Ok(duration)
}

/// A count that must be at least 1 (`concurrency`, `threads`, `min_exchanges`, byte limits).
pub fn at_least_one(count: u64) -> Result<u64, String> {
    if count == 0 {
        return Err("must be at least 1".into());
    }
    Ok(count)
}

/// A share between 0 and 1 (`max_diff_rate`, `max_error_rate`, `[noise] absolute`, `--sample`).
pub fn share(value: f64) -> Result<f64, String> {
    if !(0.0..=1.0).contains(&value) {
        return Err(format!(
            "{} is not between 0 and 1 (0.02 means 2 %)",
            shown(value)
        ));
    }
    Ok(value)
}

/// Exchanges started per second: at least [`MIN_RATE`], finite.
pub fn per_second(value: f64) -> Result<f64, String> {
    if !(value.is_finite() && value >= MIN_RATE) {
        return Err(format!(
            "{} is not a rate: exchanges a second, at least {MIN_RATE} (leave it out for no limit)",
            shown(value)
        ));
    }
    Ok(value)
}

/// Retries of a call that did not reach its target: 0 to [`MAX_RETRIES`].
pub fn retries(value: u32) -> Result<u32, String> {
    if value > MAX_RETRIES {
        return Err(format!(
            "{value} is more than {MAX_RETRIES} (each retry waits twice as long as the last)"
        ));
    }
    Ok(value)
}

/// A float as people write it (`nan`, `inf`, `1e-300`): very small and very large values in
/// exponent form, so an error never prints three hundred zeros.
fn shown(value: f64) -> String {
    let magnitude = value.abs();
    if value.is_nan() {
        "nan".into()
    } else if magnitude != 0.0 && magnitude.is_finite() && !(1e-4..1e16).contains(&magnitude) {
        format!("{value:e}")
    } else {
        value.to_string()
    }
}

/// Parses a whole number for a flag: a negative or fractional one is refused saying what is
/// allowed (`what`, e.g. "at least 1").
pub fn whole<T: std::str::FromStr>(text: &str, what: &str) -> Result<T, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("`{text}` is not allowed: write a whole number, {what}"))
}

/// Parses a number for a flag.
pub fn number(text: &str) -> Result<f64, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a number"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("1h 30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("24h"), Ok(MAX_DURATION));
        for bad in [
            "0s", "0", "fast", "-1s", "-1", "1e30s", "1e30", "25h", "1e-300", "nan", "inf", "",
        ] {
            let err = parse_duration(bad).unwrap_err();
            assert!(err.contains("24h"), "{bad}: {err}");
        }
        assert!(seconds_duration(1e308).is_err());
        assert!(seconds_duration(f64::NAN).is_err());
        assert_eq!(seconds_duration(900.0), Ok(Duration::from_secs(900)));
    }

    #[test]
    fn ranges() {
        assert!(at_least_one(0).is_err() && at_least_one(1).is_ok());
        assert!(share(f64::NAN).is_err() && share(-0.1).is_err() && share(1.5).is_err());
        assert_eq!(share(0.02), Ok(0.02));
        for bad in [0.0, -5.0, 1e-300, f64::NAN, f64::INFINITY] {
            assert!(per_second(bad).is_err(), "{bad}");
        }
        assert_eq!(per_second(200.0), Ok(200.0));
        assert!(retries(11).is_err() && retries(10).is_ok());
        assert_eq!(
            whole::<u64>("-1", "at least 1").unwrap_err(),
            "`-1` is not allowed: write a whole number, at least 1"
        );
        assert!(per_second(f64::NAN)
            .unwrap_err()
            .starts_with("nan is not a rate"));
        assert!(per_second(1e-300)
            .unwrap_err()
            .starts_with("1e-300 is not a rate"));
        assert!(share(2e30).unwrap_err().starts_with("2e30 is not between"));
    }
}
