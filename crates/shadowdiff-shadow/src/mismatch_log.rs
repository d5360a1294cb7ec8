//! The mismatch log: one JSON line per real difference of a mirrored exchange (its id, route,
//! signature, the old and new values redacted and cut as in reports, and a `curl` command that
//! sends the request to the candidate), written to stderr or `--log FILE`. Differences of one
//! signature in one exchange (`$.items[0].price`, `$.items[1].price`, ...) make one line, the
//! first place's, with how many places there were. Each signature of a
//! route gets at most `per_minute` lines a minute, so a flood of one mismatch cannot fill a disk.

use std::collections::HashMap;
use std::io::Write;
use std::time::{Instant, SystemTime};

use serde::Serialize;
use serde_json::Value;
use shadowdiff_core::{Difference, Redactor, Request};
use shadowdiff_report::{curl_command, cut_value};

/// How long a signature's allowance lasts.
const WINDOW: std::time::Duration = std::time::Duration::from_secs(60);

/// One line of the log.
#[derive(Serialize)]
struct Line<'a> {
    ts: String,
    id: &'a str,
    route: &'a str,
    signature: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    old: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    new: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    old_size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    new_size: Option<u64>,
    /// Places in this exchange with this signature.
    places: usize,
    reproduce: &'a str,
}

/// What one call of [`MismatchLog::log`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Logged {
    /// Lines written.
    pub written: u64,
    /// Lines left out by the rate limit.
    pub suppressed: u64,
}

/// The mismatch log of one `shadow` process.
pub struct MismatchLog {
    out: Box<dyn Write + Send>,
    per_minute: u32,
    redactor: Redactor,
    candidate: Option<String>,
    /// Per route and signature: when its window began and the lines written in it.
    windows: HashMap<(String, String), (Instant, u32)>,
}

impl MismatchLog {
    /// Writes to `out`, at most `per_minute` lines per route and signature a minute; the
    /// reproduce commands name `candidate` (its base URL) when it has one.
    pub fn new(
        out: Box<dyn Write + Send>,
        per_minute: u32,
        redactor: Redactor,
        candidate: Option<String>,
    ) -> MismatchLog {
        MismatchLog {
            out,
            per_minute,
            redactor,
            candidate,
            windows: HashMap::new(),
        }
    }

    /// Logs the real `differences` of exchange `id` on `route`. A line that cannot be written
    /// is dropped: the log must never stop the proxy.
    pub fn log(
        &mut self,
        id: &str,
        route: &str,
        request: &Request,
        differences: &[&Difference],
    ) -> Logged {
        let now = Instant::now();
        let mut logged = Logged::default();
        let mut reproduce = None;
        let mut by_signature: Vec<(String, &Difference, usize)> = Vec::new();
        for difference in differences {
            let signature = difference.signature().to_string();
            match by_signature.iter_mut().find(|(s, _, _)| *s == signature) {
                Some((_, _, places)) => *places += 1,
                None => by_signature.push((signature, difference, 1)),
            }
        }
        for (signature, difference, places) in by_signature {
            let window = self
                .windows
                .entry((route.to_string(), signature.clone()))
                .or_insert((now, 0));
            if now.duration_since(window.0) >= WINDOW {
                *window = (now, 0);
            }
            if window.1 >= self.per_minute {
                logged.suppressed += 1;
                continue;
            }
            window.1 += 1;
            let reproduce = reproduce.get_or_insert_with(|| {
                let mut shown = request.clone();
                self.redactor.request(&mut shown);
                curl_command(&shown, self.candidate.as_deref(), "CANDIDATE_URL")
            });
            let mut shown = difference.clone();
            self.redactor.difference_values(&mut shown);
            let (old, old_size) = cut_value(shown.old);
            let (new, new_size) = cut_value(shown.new);
            let line = Line {
                ts: humantime::format_rfc3339_millis(SystemTime::now()).to_string(),
                id,
                route,
                signature,
                path: difference.target.place(),
                old,
                new,
                old_size,
                new_size,
                places,
                reproduce,
            };
            let mut text = serde_json::to_vec(&line).expect("a log line always serialises");
            text.push(b'\n');
            if self
                .out
                .write_all(&text)
                .and_then(|()| self.out.flush())
                .is_ok()
            {
                logged.written += 1;
            }
        }
        self.windows
            .retain(|_, window| now.duration_since(window.0) < WINDOW);
        logged
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shadowdiff_core::{Body, Headers};
    use std::sync::{Arc, Mutex};

    /// A writer whose bytes the test can read back.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn difference(value: &str) -> Difference {
        let old = serde_json::json!({ "token": "s3cret", "total": 10 });
        let new = serde_json::json!({ "token": value, "total": 11 });
        let rules = shadowdiff_core::RuleSet::builtin();
        let route = rules.route("GET", "/orders/1");
        let response = |body: &Value| shadowdiff_core::Response {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: Body::Text(body.to_string()),
        };
        let comparison = shadowdiff_core::compare(&response(&old), &response(&new), route.rules);
        comparison
            .differences
            .into_iter()
            .find(|d| d.target.place().is_some_and(|p| p.contains("total")))
            .unwrap()
    }

    fn request() -> Request {
        let headers: Headers = vec![("authorization".into(), "Bearer abc".into())];
        Request {
            method: "GET".into(),
            url: "/orders/1".into(),
            headers,
            body: Body::Empty,
        }
    }

    #[test]
    fn a_line_per_difference_with_secrets_redacted_and_a_reproduce_command() {
        let out = Shared::default();
        let redactor = Redactor::new(&[], Vec::new(), false);
        let mut log = MismatchLog::new(
            Box::new(out.clone()),
            10,
            redactor,
            Some("http://127.0.0.1:9002".into()),
        );
        let found = difference("x");
        let logged = log.log("s000001", "GET /orders/{id}", &request(), &[&found]);
        assert_eq!(
            logged,
            Logged {
                written: 1,
                suppressed: 0
            }
        );
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        let line: Value = serde_json::from_str(text.trim_end()).unwrap();
        assert_eq!(line["id"], "s000001");
        assert_eq!(line["route"], "GET /orders/{id}");
        assert_eq!(line["signature"], found.signature().to_string());
        assert_eq!(line["old"], 10);
        assert_eq!(line["new"], 11);
        let reproduce = line["reproduce"].as_str().unwrap();
        assert!(
            reproduce.contains("http://127.0.0.1:9002/orders/1"),
            "{reproduce}"
        );
        assert!(!reproduce.contains("Bearer abc"), "{reproduce}");
    }

    #[test]
    fn a_flood_of_one_signature_is_rate_limited() {
        let out = Shared::default();
        let redactor = Redactor::new(&[], Vec::new(), false);
        let mut log = MismatchLog::new(Box::new(out.clone()), 3, redactor, None);
        let found = difference("x");
        let mut total = Logged::default();
        for _ in 0..10 {
            let logged = log.log("s1", "GET /orders/{id}", &request(), &[&found]);
            total.written += logged.written;
            total.suppressed += logged.suppressed;
        }
        assert_eq!(
            total,
            Logged {
                written: 3,
                suppressed: 7
            }
        );
        let lines = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        assert_eq!(lines.lines().count(), 3);
        // Another route's lines have an allowance of their own.
        let other = log.log("s2", "GET /other", &request(), &[&found]);
        assert_eq!(other.written, 1);
    }

    #[test]
    fn places_of_one_signature_make_one_line() {
        let rules = shadowdiff_core::RuleSet::builtin();
        let route = rules.route("GET", "/orders/1");
        let response = |body: &str| shadowdiff_core::Response {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: Body::Text(body.into()),
        };
        let comparison = shadowdiff_core::compare(
            &response(r#"{"items":[{"p":1},{"p":2}],"n":1}"#),
            &response(r#"{"items":[{"p":3},{"p":4}],"n":2}"#),
            route.rules,
        );
        let found: Vec<&Difference> = comparison.differences.iter().collect();
        assert_eq!(found.len(), 3);
        let out = Shared::default();
        let redactor = Redactor::new(&[], Vec::new(), false);
        let mut log = MismatchLog::new(Box::new(out.clone()), 10, redactor, None);
        assert_eq!(
            log.log("s1", "GET /orders/{id}", &request(), &found)
                .written,
            2
        );
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let items = lines
            .iter()
            .find(|l| l["places"] == 2)
            .expect("the items line");
        assert_eq!(items["path"], "$.items[0].p");
        assert_eq!(
            (items["old"].as_i64(), items["new"].as_i64()),
            (Some(1), Some(3))
        );
        assert!(lines.iter().any(|l| l["path"] == "$.n" && l["places"] == 1));
        assert!(lines
            .iter()
            .all(|l| l["reproduce"].as_str().unwrap().contains("CANDIDATE_URL")));
    }
}
