//! clap value parsers shared by every command, so each idea is checked in one place and one way.

use std::time::Duration;

/// The largest number of seconds a duration flag takes (about 115 days): anything larger is a typo.
const MAX_SECONDS: f64 = 1e7;

/// A positive number of seconds (`5`, `0.25`), as a [`Duration`]: `--timeout`, `--duration`, ...
pub fn seconds(text: &str) -> Result<Duration, String> {
    let value: f64 = text.trim().parse().map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if value.is_finite() && value > 0.0 && value < MAX_SECONDS {
        Ok(Duration::from_secs_f64(value))
    } else {
        Err(format!("must be a positive number of seconds below {MAX_SECONDS:e}, not {text}"))
    }
}

/// Zero or more seconds, as a [`Duration`]: `--warmup`.
pub fn seconds_or_zero(text: &str) -> Result<Duration, String> {
    if text.trim().parse::<f64>() == Ok(0.0) {
        return Ok(Duration::ZERO);
    }
    seconds(text).map_err(|_| format!("must be zero or more seconds below {MAX_SECONDS:e}, not {text}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_take_positive_finite_values_only() {
        assert_eq!(seconds("5"), Ok(Duration::from_secs(5)));
        assert_eq!(seconds("0.25"), Ok(Duration::from_millis(250)));
        for bad in ["0", "-1", "nan", "inf", "1e8", "", "five"] {
            assert!(seconds(bad).is_err(), "{bad:?} must be refused");
        }
        assert_eq!(seconds_or_zero("0"), Ok(Duration::ZERO));
        assert_eq!(seconds_or_zero("0.5"), Ok(Duration::from_millis(500)));
        assert!(seconds_or_zero("-0.5").is_err());
    }
}
