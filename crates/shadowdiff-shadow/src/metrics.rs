//! The metrics at `/metrics`, kept by prometheus-client and written in its text format: what
//! the proxy received and skipped, how each exchange it mirrored was judged, the signatures of
//! real differences, each target's latency, and the mirroring queue.
//!
//! Label values stay few: routes are templates (ids erased), signatures have indices erased,
//! and once `max_series` distinct routes (or route and signature pairs) have been seen, new ones
//! are counted under `other`.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// The label value series past the cap are counted under.
pub const OTHER: &str = "other";

/// The `Content-Type` of the text `/metrics` answers with.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Why a request the proxy forwarded was not mirrored (the `reason` label).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Skip {
    /// The mirroring queue was full.
    QueueFull,
    /// Outside `--sample`.
    NotSampled,
    /// A method that is not replayed unless allowed.
    NotAllowed,
    /// Left out by `--include-route`, `--exclude-route` or `--method`.
    Filtered,
    /// A request or answer body over `--max-body-bytes` (streamed to its side, not mirrored).
    TooLarge,
    /// The primary failed to answer (the client got a 502).
    PrimaryFailed,
    /// The client's request body could not be read whole.
    Incomplete,
    /// The proxy was stopping.
    Stopping,
}

impl Skip {
    /// Every reason.
    pub const ALL: [Skip; 8] = [
        Skip::QueueFull,
        Skip::NotSampled,
        Skip::NotAllowed,
        Skip::Filtered,
        Skip::TooLarge,
        Skip::PrimaryFailed,
        Skip::Incomplete,
        Skip::Stopping,
    ];

    /// The `reason` label.
    pub fn label(self) -> &'static str {
        match self {
            Skip::QueueFull => "queue_full",
            Skip::NotSampled => "not_sampled",
            Skip::NotAllowed => "not_allowed",
            Skip::Filtered => "filtered",
            Skip::TooLarge => "too_large",
            Skip::PrimaryFailed => "primary_failed",
            Skip::Incomplete => "incomplete",
            Skip::Stopping => "stopping",
        }
    }
}

/// How a judged exchange counts (the `outcome` label).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Counted {
    /// No difference.
    Equal,
    /// At least one real difference: neither noise nor accepted by the snapshot.
    Different,
    /// Differences, all of them noise (old differs so from itself).
    Noise,
    /// Differences, all of them noise or accepted by the snapshot, some accepted.
    Accepted,
    /// A target failed, or the answers could not be compared.
    Error,
}

impl Counted {
    /// The `outcome` label.
    pub fn label(self) -> &'static str {
        match self {
            Counted::Equal => "equal",
            Counted::Different => "different",
            Counted::Noise => "noise",
            Counted::Accepted => "accepted",
            Counted::Error => "error",
        }
    }
}

/// The role whose latency is measured (the `target` label).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The implementation serving clients.
    Primary,
    /// The implementation being validated.
    Candidate,
    /// A second primary instance, for noise.
    Secondary,
}

impl Role {
    fn label(self) -> &'static str {
        match self {
            Role::Primary => "primary",
            Role::Candidate => "candidate",
            Role::Secondary => "secondary",
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ExchangeLabels {
    route: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DifferenceLabels {
    route: String,
    signature: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TargetLabels {
    target: String,
}

/// Latency buckets from 100 µs to about 52 s, doubling.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0001, 2.0, 20))
}

/// Every metric of one `shadow` process.
pub struct Metrics {
    registry: Registry,
    requests: Counter,
    exchanges: Family<ExchangeLabels, Counter>,
    differences: Family<DifferenceLabels, Counter>,
    /// The histograms of the primary, the candidate and the secondary, made once.
    latency: [Histogram; 3],
    /// The counters of each skip reason, made once (the proxy counts on the client's path).
    skips: Vec<(Skip, Counter)>,
    queue_depth: Gauge,
    suppressed: Counter,
    max_series: usize,
    routes: Mutex<HashSet<String>>,
    pairs: Mutex<HashSet<(String, String)>>,
}

impl Metrics {
    /// Registers every metric; `queue_capacity` is published as a gauge beside the depth.
    pub fn new(queue_capacity: usize, max_series: usize) -> Metrics {
        let mut registry = Registry::default();
        let requests = Counter::default();
        registry.register(
            "shadowdiff_requests",
            "Requests forwarded to the primary",
            requests.clone(),
        );
        let skipped = Family::<ReasonLabels, Counter>::default();
        registry.register(
            "shadowdiff_skipped",
            "Requests forwarded but not mirrored, by reason",
            skipped.clone(),
        );
        let exchanges = Family::<ExchangeLabels, Counter>::default();
        registry.register(
            "shadowdiff_exchanges",
            "Mirrored exchanges judged, by route and outcome",
            exchanges.clone(),
        );
        let differences = Family::<DifferenceLabels, Counter>::default();
        registry.register(
            "shadowdiff_differences",
            "Real differences (not noise, not accepted) by route and signature",
            differences.clone(),
        );
        let latency = Family::<TargetLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        registry.register(
            "shadowdiff_target_latency_seconds",
            "How long each target took to answer",
            latency.clone(),
        );
        let latency = [Role::Primary, Role::Candidate, Role::Secondary].map(|role| {
            latency.get_or_create_owned(&TargetLabels {
                target: role.label().to_string(),
            })
        });
        let skips = Skip::ALL
            .iter()
            .map(|&why| {
                let counter = skipped.get_or_create_owned(&ReasonLabels {
                    reason: why.label().to_string(),
                });
                (why, counter)
            })
            .collect();
        let queue_depth = Gauge::default();
        registry.register(
            "shadowdiff_queue_depth",
            "Exchanges waiting to be mirrored",
            queue_depth.clone(),
        );
        let capacity = Gauge::<i64>::default();
        capacity.set(i64::try_from(queue_capacity).unwrap_or(i64::MAX));
        registry.register(
            "shadowdiff_queue_capacity",
            "Exchanges the mirroring queue holds at most",
            capacity,
        );
        let suppressed = Counter::default();
        registry.register(
            "shadowdiff_mismatch_log_suppressed",
            "Mismatch log lines left out by the per-signature rate limit",
            suppressed.clone(),
        );
        Metrics {
            registry,
            requests,
            skips,
            exchanges,
            differences,
            latency,
            queue_depth,
            suppressed,
            max_series,
            routes: Mutex::new(HashSet::new()),
            pairs: Mutex::new(HashSet::new()),
        }
    }

    /// A request arrived and is forwarded.
    pub fn request(&self) {
        self.requests.inc();
    }

    /// A forwarded request is not mirrored.
    pub fn skipped(&self, why: Skip) {
        if let Some((_, counter)) = self.skips.iter().find(|(reason, _)| *reason == why) {
            counter.inc();
        }
    }

    /// A target answered after `took`.
    pub fn latency(&self, role: Role, took: Duration) {
        let index = match role {
            Role::Primary => 0,
            Role::Candidate => 1,
            Role::Secondary => 2,
        };
        self.latency[index].observe(took.as_secs_f64());
    }

    /// A mirrored exchange was judged; `signatures` are its real differences'.
    pub fn judged(&self, route: &str, counted: Counted, signatures: &[String]) {
        let route = self.route_label(route);
        self.exchanges
            .get_or_create(&ExchangeLabels {
                route: route.clone(),
                outcome: counted.label().to_string(),
            })
            .inc();
        for signature in signatures {
            let (route, signature) = self.pair_label(&route, signature);
            self.differences
                .get_or_create(&DifferenceLabels { route, signature })
                .inc();
        }
    }

    /// One more (or, negative, fewer) exchanges wait in the mirroring queue.
    pub fn queue(&self, change: i64) {
        self.queue_depth.inc_by(change);
    }

    /// A mismatch log line was left out by the rate limit.
    pub fn suppressed(&self) {
        self.suppressed.inc();
    }

    /// The metrics in the text format (OpenMetrics, which Prometheus reads).
    pub fn encode(&self) -> String {
        let mut text = String::new();
        encode(&mut text, &self.registry).expect("writing to a String never fails");
        text
    }

    fn route_label(&self, route: &str) -> String {
        let mut routes = self.routes.lock().unwrap_or_else(|e| e.into_inner());
        if routes.contains(route) {
            return route.to_string();
        }
        if routes.len() >= self.max_series {
            return OTHER.to_string();
        }
        routes.insert(route.to_string());
        route.to_string()
    }

    fn pair_label(&self, route: &str, signature: &str) -> (String, String) {
        let mut pairs = self.pairs.lock().unwrap_or_else(|e| e.into_inner());
        let pair = (route.to_string(), signature.to_string());
        if pairs.contains(&pair) {
            return pair;
        }
        if pairs.len() >= self.max_series {
            return (OTHER.to_string(), OTHER.to_string());
        }
        pairs.insert(pair.clone());
        pair
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_written_in_the_text_format() {
        let metrics = Metrics::new(8, 100);
        metrics.request();
        metrics.request();
        metrics.skipped(Skip::QueueFull);
        metrics.judged(
            "GET /orders/{id}",
            Counted::Different,
            &["body $.total changed".to_string()],
        );
        metrics.latency(Role::Candidate, Duration::from_millis(3));
        metrics.queue(1);
        let text = metrics.encode();
        assert!(text.contains("shadowdiff_requests_total 2\n"), "{text}");
        assert!(text.contains("shadowdiff_skipped_total{reason=\"queue_full\"} 1\n"));
        assert!(text.contains(
            "shadowdiff_exchanges_total{route=\"GET /orders/{id}\",outcome=\"different\"} 1\n"
        ));
        assert!(text.contains(
            "shadowdiff_differences_total{route=\"GET /orders/{id}\",signature=\"body $.total changed\"} 1\n"
        ));
        assert!(text.contains("shadowdiff_target_latency_seconds_count{target=\"candidate\"} 1\n"));
        assert!(text.contains("shadowdiff_queue_depth 1\n"));
        assert!(text.contains("shadowdiff_queue_capacity 8\n"));
        assert!(text.ends_with("# EOF\n"));
    }

    #[test]
    fn series_past_the_cap_fold_into_other() {
        let metrics = Metrics::new(8, 2);
        for route in ["GET /a", "GET /b", "GET /c", "GET /d"] {
            metrics.judged(route, Counted::Equal, &[]);
        }
        metrics.judged("GET /a", Counted::Equal, &[]);
        let text = metrics.encode();
        assert!(
            text.contains("route=\"GET /a\",outcome=\"equal\"} 2\n"),
            "{text}"
        );
        assert!(text.contains("route=\"GET /b\",outcome=\"equal\"} 1\n"));
        assert!(text.contains("route=\"other\",outcome=\"equal\"} 2\n"));
        assert!(!text.contains("GET /c"));
    }
}
