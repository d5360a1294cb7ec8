//! The gate: the policy that turns counts into a verdict, with the reasons said first.

use super::document::{Counts, Verdict};

/// How much difference and error a run may show and still pass.
#[derive(Clone, Debug, PartialEq)]
pub struct GatePolicy {
    /// The largest share of compared exchanges that may differ (0.0: none may).
    pub max_diff_rate: f64,
    /// The largest share of compared exchanges that may end in error.
    pub max_error_rate: f64,
    /// A signature is noise when its count exceeds its noise count by at most this share of its
    /// count (Diffy's relative threshold, 20 %).
    pub noise_relative: f64,
    /// ... or by at most this share of the route's exchanges (Diffy's absolute threshold, 0.03 %).
    pub noise_absolute: f64,
}

impl Default for GatePolicy {
    fn default() -> GatePolicy {
        GatePolicy {
            max_diff_rate: 0.0,
            max_error_rate: 0.0,
            noise_relative: 0.2,
            noise_absolute: 0.0003,
        }
    }
}

impl GatePolicy {
    /// Decides the verdict for these totals; the reasons read as sentences, failures first.
    /// Whether a signature seen in `count` exchanges between old and new, and in `noise_count`
    /// exchanges between old and itself, is noise: old disagrees with itself about as often.
    pub fn is_noise(&self, count: u64, noise_count: u64, exchanges: u64) -> bool {
        if noise_count == 0 {
            return false;
        }
        let excess = count.saturating_sub(noise_count) as f64;
        excess <= self.noise_relative * count as f64
            || excess <= self.noise_absolute * exchanges as f64
    }

    /// Decides the verdict for these totals; the reasons read as sentences, failures first.
    /// An incomplete run fails, with `incomplete` as its first reason.
    pub fn judge(&self, totals: &Counts, incomplete: Option<&str>) -> (Verdict, Vec<String>) {
        let (verdict, mut reasons) = self.judge_counts(totals);
        match incomplete {
            Some(reason) => {
                reasons.insert(0, format!("the run is incomplete: {reason}"));
                (Verdict::Fail, reasons)
            }
            None => (verdict, reasons),
        }
    }

    fn judge_counts(&self, totals: &Counts) -> (Verdict, Vec<String>) {
        let judged = totals.exchanges - totals.skipped;
        if judged == 0 {
            return (
                Verdict::Fail,
                vec![format!(
                    "no exchange was compared ({} read, all skipped)",
                    totals.exchanges
                )],
            );
        }
        let mut failures = Vec::new();
        let mut passes = Vec::new();
        let diff_rate = totals.different as f64 / judged as f64;
        let diff_line = format!(
            "{} of {} compared exchanges differ ({}), {} the allowed {}",
            totals.different,
            judged,
            percent(diff_rate),
            if diff_rate > self.max_diff_rate {
                "above"
            } else {
                "within"
            },
            percent(self.max_diff_rate),
        );
        if diff_rate > self.max_diff_rate {
            failures.push(diff_line);
        } else {
            passes.push(diff_line);
        }
        if totals.errors > 0 {
            let error_rate = totals.errors as f64 / judged as f64;
            let line = format!(
                "{} of {} exchanges ended in error ({}), {} the allowed {}",
                totals.errors,
                judged,
                percent(error_rate),
                if error_rate > self.max_error_rate {
                    "above"
                } else {
                    "within"
                },
                percent(self.max_error_rate),
            );
            if error_rate > self.max_error_rate {
                failures.push(line);
            } else {
                passes.push(line);
            }
        }
        if failures.is_empty() {
            (Verdict::Pass, passes)
        } else {
            failures.extend(passes);
            (Verdict::Fail, failures)
        }
    }
}

/// A rate as a percentage with two decimals (`0.0125` → `1.25%`).
pub fn percent(rate: f64) -> String {
    format!("{:.2}%", rate * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(equal: u64, different: u64, errors: u64, skipped: u64) -> Counts {
        Counts {
            exchanges: equal + different + errors + skipped,
            equal,
            different,
            noise_only: 0,
            errors,
            skipped,
        }
    }

    #[test]
    fn any_difference_fails_by_default() {
        let (verdict, reasons) = GatePolicy::default().judge_counts(&counts(99, 1, 0, 0));
        assert_eq!(verdict, Verdict::Fail);
        assert_eq!(
            reasons[0],
            "1 of 100 compared exchanges differ (1.00%), above the allowed 0.00%"
        );
        let (verdict, _) = GatePolicy::default().judge_counts(&counts(100, 0, 0, 5));
        assert_eq!(verdict, Verdict::Pass);
    }

    #[test]
    fn max_diff_rate_loosens_the_gate_and_errors_still_count() {
        let policy = GatePolicy {
            max_diff_rate: 0.05,
            ..GatePolicy::default()
        };
        let (verdict, _) = policy.judge_counts(&counts(96, 4, 0, 0));
        assert_eq!(verdict, Verdict::Pass);
        let (verdict, reasons) = policy.judge_counts(&counts(95, 4, 1, 0));
        assert_eq!(verdict, Verdict::Fail);
        assert!(
            reasons[0].starts_with("1 of 100 exchanges ended in error"),
            "{reasons:?}"
        );
    }

    #[test]
    fn noise_is_a_count_not_clearly_above_the_noise_count() {
        let policy = GatePolicy::default();
        assert!(!policy.is_noise(10, 0, 1000));
        assert!(policy.is_noise(100, 100, 1000));
        assert!(policy.is_noise(100, 85, 1000));
        assert!(!policy.is_noise(100, 70, 1000));
        assert!(policy.is_noise(5, 3, 100_000));
        assert!(policy.is_noise(3, 9, 10));
    }

    #[test]
    fn an_incomplete_run_fails_and_says_so_first() {
        let policy = GatePolicy::default();
        let (verdict, reasons) =
            policy.judge(&counts(10, 0, 0, 0), Some("target new stopped answering"));
        assert_eq!(verdict, Verdict::Fail);
        assert_eq!(
            reasons[0],
            "the run is incomplete: target new stopped answering"
        );
    }

    #[test]
    fn nothing_compared_fails() {
        let (verdict, reasons) = GatePolicy::default().judge_counts(&counts(0, 0, 0, 3));
        assert_eq!(verdict, Verdict::Fail);
        assert!(reasons[0].contains("no exchange was compared"));
    }
}
