//! The in-process shadow call: a service that answers with its old code and runs its new code
//! beside it compares the two results here, under the same rules `shadowdiff run` uses, and
//! writes the outcome line that `shadowdiff diff OUTCOMES` re-judges into a report folder.

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::compare::Difference;
use crate::judge::{judge, Pair};
use crate::model::{Request, Response};
use crate::outcome::{Judged, Outcome, OutcomeError, Timing};
use crate::outcome_line::{Answered, Answers, OutcomeLine};
use crate::redact::Redactor;
use crate::rules::RuleSet;

/// Compares old and new results of live calls under one rule set; cheap to share between
/// threads (`&Shadow` is all a call needs).
#[derive(Debug)]
pub struct Shadow {
    rules: RuleSet,
    redactor: Redactor,
    calls: AtomicU64,
}

/// One compared call: how it was judged, and what each side answered.
#[derive(Clone, Debug)]
pub struct ShadowCall<'s> {
    request: &'s Request,
    judged: Judged,
    old: (Response, Duration),
    new: Result<(Response, Duration), (String, String)>,
    redactor: &'s Redactor,
}

impl Shadow {
    /// Compares under `rules`, redacting the usual secret headers in what it writes.
    pub fn new(rules: RuleSet) -> Shadow {
        Shadow::with_redactor(rules, Redactor::new(&[], Vec::new(), false))
    }

    /// Compares under `rules`, redacting what `redactor` names in every outcome line.
    pub fn with_redactor(rules: RuleSet, redactor: Redactor) -> Shadow {
        Shadow {
            rules,
            redactor,
            calls: AtomicU64::new(0),
        }
    }

    /// Judges one call: `old` is what the service answered (and served), `new` what the new
    /// code answered, each after `old_latency` and `new_latency`. Calls are numbered in the
    /// order they are compared, which orders the examples of a report.
    pub fn compare<'s>(
        &'s self,
        id: &str,
        request: &'s Request,
        old: (Response, Duration),
        new: (Response, Duration),
    ) -> ShadowCall<'s> {
        let seq = self.calls.fetch_add(1, Ordering::Relaxed);
        let pair = Pair {
            id,
            seq,
            request,
            old: Some(&old.0),
            new: Some(&new.0),
            noise: None,
        };
        let mut judged = judge(pair, &self.rules);
        judged.timing = Timing {
            old: Some(old.1),
            new: Some(new.1),
            noise: None,
        };
        self.call(request, judged, old, Ok(new))
    }

    /// Records a call whose new code failed (an exception, a timeout): an error outcome of
    /// kind `new_KIND`, as `shadowdiff run` names a target's failure.
    pub fn new_failed<'s>(
        &'s self,
        id: &str,
        request: &'s Request,
        old: (Response, Duration),
        kind: &str,
        message: &str,
    ) -> ShadowCall<'s> {
        let seq = self.calls.fetch_add(1, Ordering::Relaxed);
        let route = self.rules.route(&request.method, request.path()).name;
        let judged = Judged {
            id: id.to_string(),
            seq,
            route,
            outcome: Outcome::Error(OutcomeError::failed_call("new", kind, message)),
            noise: None,
            timing: Timing {
                old: Some(old.1),
                new: None,
                noise: None,
            },
        };
        self.call(
            request,
            judged,
            old,
            Err((kind.to_string(), message.to_string())),
        )
    }

    fn call<'s>(
        &'s self,
        request: &'s Request,
        judged: Judged,
        old: (Response, Duration),
        new: Result<(Response, Duration), (String, String)>,
    ) -> ShadowCall<'s> {
        ShadowCall {
            request,
            judged,
            old,
            new,
            redactor: &self.redactor,
        }
    }
}

impl ShadowCall<'_> {
    /// Whether old and new agree under the rules.
    pub fn is_equal(&self) -> bool {
        matches!(&self.judged.outcome, Outcome::Compared(c) if c.differences.is_empty())
    }

    /// The differences that count, empty when equal or when the call failed.
    pub fn differences(&self) -> &[Difference] {
        match &self.judged.outcome {
            Outcome::Compared(comparison) => &comparison.differences,
            _ => &[],
        }
    }

    /// The judged exchange, as every later stage receives it.
    pub fn judged(&self) -> &Judged {
        &self.judged
    }

    /// The outcome line, secrets redacted.
    pub fn outcome_line(&self) -> OutcomeLine {
        let answers = Answers {
            old: Some(Answered::Response(Cow::Borrowed(&self.old.0), self.old.1)),
            new: Some(match &self.new {
                Ok((response, latency)) => Answered::Response(Cow::Borrowed(response), *latency),
                Err((kind, message)) => Answered::Failed(kind, message),
            }),
            noise: None,
        };
        OutcomeLine::new(
            Cow::Borrowed(self.request),
            &self.judged,
            answers,
            self.redactor,
        )
    }

    /// The outcome line as one JSON line of `outcomes.jsonl` (no line end).
    pub fn to_outcome_line(&self) -> String {
        self.outcome_line().to_json()
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::model::Body;

    fn shadow() -> Shadow {
        let rules = "[[route]]\nmatch = \"GET /orders/{id}\"\nignore = [\"$.at\"]\n";
        Shadow::new(RuleSet::parse(rules, Path::new("orders.toml")).unwrap())
    }

    fn json(body: &str) -> Response {
        Response {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: Body::Text(body.into()),
        }
    }

    fn get(url: &str) -> Request {
        Request {
            method: "GET".into(),
            url: url.into(),
            headers: vec![],
            body: Body::Empty,
        }
    }

    #[test]
    fn calls_are_judged_under_the_rules_and_numbered_in_order() {
        let shadow = shadow();
        let ms = Duration::from_millis;
        let (first, second) = (get("/orders/1"), get("/orders/2"));
        let equal = shadow.compare(
            "a",
            &first,
            (json(r#"{"id":1,"at":"t1"}"#), ms(2)),
            (json(r#"{"id":1,"at":"t2"}"#), ms(3)),
        );
        assert!(equal.is_equal());
        assert_eq!(equal.judged().route, "GET /orders/{id}");
        assert_eq!(equal.judged().timing.new, Some(ms(3)));
        let different = shadow.compare(
            "b",
            &second,
            (json(r#"{"id":2}"#), ms(1)),
            (json(r#"{"id":"2"}"#), ms(1)),
        );
        assert!(!different.is_equal());
        assert_eq!(
            different.differences()[0].signature().to_string(),
            "body $.id type"
        );
        assert_eq!((equal.judged().seq, different.judged().seq), (0, 1));
        let line = different.outcome_line();
        assert_eq!((line.outcome.as_str(), line.seq), ("different", 1));
        assert_eq!(line.differences[0].path.as_deref(), Some("$.id"));
    }

    #[test]
    fn a_failed_new_call_is_an_error_outcome_named_like_a_run_names_it() {
        let shadow = shadow();
        let request = get("/orders/3");
        let call = shadow.new_failed(
            "c",
            &request,
            (json("{}"), Duration::from_millis(1)),
            "timeout",
            "no response within 2s",
        );
        assert!(!call.is_equal());
        assert!(call.differences().is_empty());
        let line = call.outcome_line();
        assert_eq!(line.outcome, "error");
        assert_eq!(line.reason.as_deref(), Some("new: no response within 2s"));
        let new = line.new.unwrap();
        assert_eq!(new.error.unwrap().kind, "timeout");
        assert!(new.response.is_none());
        assert!(line.old.unwrap().response.is_some());
    }
}
