//! Answer times per target: a histogram with bounded memory (HdrHistogram, 2 significant digits),
//! mergeable across partitions, summarised as percentiles and log-scale bins.

use std::time::Duration;

use hdrhistogram::Histogram;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use shadowdiff_core::Timing;

use crate::document::{Latency, LatencyBin, LatencySummary};

/// The slowest answer recorded exactly; slower ones count as this (an hour, in microseconds).
const MAX_MICROS: u64 = 3_600_000_000;
/// The upper bounds of the chart bins, in milliseconds (1-2-5 steps).
const BIN_BOUNDS_MS: &[f64] = &[
    0.1,
    0.2,
    0.5,
    1.0,
    2.0,
    5.0,
    10.0,
    20.0,
    50.0,
    100.0,
    200.0,
    500.0,
    1000.0,
    2000.0,
    5000.0,
    10000.0,
    30000.0,
    3_600_000.0,
];

/// The answer times of one target, in microseconds (32-bit counts: 13 KB a histogram, and no
/// route sees four billion answers in one run).
#[derive(Clone, Debug)]
pub struct Timings(Histogram<u32>);

/// The timings of the three roles.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct RoleTimings {
    /// The old implementation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old: Option<Timings>,
    /// The new implementation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<Timings>,
    /// The noise measurement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noise: Option<Timings>,
}

impl Default for Timings {
    fn default() -> Timings {
        Timings(Histogram::new_with_bounds(1, MAX_MICROS, 2).expect("valid histogram bounds"))
    }
}

impl Timings {
    /// Records one answer time.
    pub fn record(&mut self, duration: Duration) {
        let micros = u64::try_from(duration.as_micros())
            .unwrap_or(u64::MAX)
            .clamp(1, MAX_MICROS);
        self.0.saturating_record(micros);
    }

    /// Adds the answers of another histogram.
    pub fn merge(&mut self, other: &Timings) {
        // Both have the same bounds, so adding cannot fail.
        let _ = self.0.add(&other.0);
    }

    /// Percentiles and, when `with_bins`, the chart bins.
    pub fn summary(&self, with_bins: bool) -> LatencySummary {
        let ms = |micros: u64| micros as f64 / 1000.0;
        let h = &self.0;
        let mut bins = Vec::new();
        if with_bins {
            let mut low = 0u64;
            for bound in BIN_BOUNDS_MS {
                let high = (bound * 1000.0) as u64;
                let count = if low == 0 {
                    h.count_between(0, high)
                } else {
                    h.count_between(low + 1, high)
                };
                bins.push(LatencyBin {
                    le_ms: *bound,
                    count,
                });
                low = high;
            }
            let first = bins.iter().position(|b| b.count > 0).unwrap_or(0);
            let last = bins.iter().rposition(|b| b.count > 0).unwrap_or(0);
            bins = bins.drain(first..=last).collect();
        }
        LatencySummary {
            count: h.len(),
            p50_ms: ms(h.value_at_quantile(0.50)),
            p95_ms: ms(h.value_at_quantile(0.95)),
            p99_ms: ms(h.value_at_quantile(0.99)),
            max_ms: ms(h.max()),
            bins,
        }
    }
}

impl RoleTimings {
    /// Records the answer times of one exchange.
    pub fn record(&mut self, timing: &Timing) {
        for (slot, time) in [
            (&mut self.old, timing.old),
            (&mut self.new, timing.new),
            (&mut self.noise, timing.noise),
        ] {
            if let Some(time) = time {
                slot.get_or_insert_with(Timings::default).record(time);
            }
        }
    }

    /// Adds another set of timings.
    pub fn merge(&mut self, other: &RoleTimings) {
        for (slot, theirs) in [
            (&mut self.old, &other.old),
            (&mut self.new, &other.new),
            (&mut self.noise, &other.noise),
        ] {
            if let Some(theirs) = theirs {
                slot.get_or_insert_with(Timings::default).merge(theirs);
            }
        }
    }

    /// The report's figures.
    pub fn summary(&self, with_bins: bool) -> Latency {
        Latency {
            old: self.old.as_ref().map(|t| t.summary(with_bins)),
            new: self.new.as_ref().map(|t| t.summary(with_bins)),
            noise: self.noise.as_ref().map(|t| t.summary(with_bins)),
        }
    }
}

/// Stored as `[[microseconds, count], ...]` for the recorded values only.
impl Serialize for Timings {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let pairs: Vec<(u64, u64)> = self
            .0
            .iter_recorded()
            .map(|v| (v.value_iterated_to(), u64::from(v.count_at_value())))
            .collect();
        pairs.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Timings {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Timings, D::Error> {
        let pairs: Vec<(u64, u64)> = Vec::deserialize(deserializer)?;
        let mut timings = Timings::default();
        for (value, count) in pairs {
            let count = u32::try_from(count).map_err(serde::de::Error::custom)?;
            timings
                .0
                .record_n(value.clamp(1, MAX_MICROS), count)
                .map_err(serde::de::Error::custom)?;
        }
        Ok(timings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timings(millis: impl IntoIterator<Item = u64>) -> Timings {
        let mut t = Timings::default();
        for ms in millis {
            t.record(Duration::from_millis(ms));
        }
        t
    }

    #[test]
    fn percentiles_are_within_one_percent() {
        let summary = timings(1..=1000).summary(false);
        assert_eq!(summary.count, 1000);
        for (got, want) in [
            (summary.p50_ms, 500.0),
            (summary.p95_ms, 950.0),
            (summary.p99_ms, 990.0),
            (summary.max_ms, 1000.0),
        ] {
            assert!((got - want).abs() <= want * 0.01, "{got} vs {want}");
        }
    }

    #[test]
    fn merging_equals_recording_everything_in_one() {
        let mut a = timings(1..=400);
        a.merge(&timings(401..=1000));
        assert_eq!(a.summary(true), timings(1..=1000).summary(true));
    }

    #[test]
    fn bins_cover_every_answer_and_trim_empty_ends() {
        let summary = timings([3, 3, 40, 700]).summary(true);
        let total: u64 = summary.bins.iter().map(|b| b.count).sum();
        assert_eq!(total, 4);
        assert_eq!(summary.bins.first().unwrap().le_ms, 5.0);
        assert_eq!(summary.bins.last().unwrap().le_ms, 1000.0);
    }

    #[test]
    fn the_stored_form_round_trips() {
        let t = timings([1, 2, 2, 350]);
        let text = serde_json::to_string(&t).unwrap();
        let back: Timings = serde_json::from_str(&text).unwrap();
        assert_eq!(back.summary(true), t.summary(true));
    }
}
