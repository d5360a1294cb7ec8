//! Judging one row of `shadowdiff data`: its table's rules, old's row against new's, an outcome;
//! and the outcomes-file line of a row, so `shadowdiff diff OUTCOMES` re-judges rows too.
//!
//! A row is a JSON document (column → value). Rows present on both sides are compared by the
//! engine as bodies are, under the rules of the route `table NAME`, and their differences are
//! named by path alone (`$.email changed`). A row on one side only is one difference,
//! `row missing in new` or `row extra in new`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::compare::{compare_json, deep, Difference, Kind, Target};
use crate::outcome::{Judged, Outcome, OutcomeError, Timing};
use crate::outcome_line::{AnswerError, DifferenceLine};
use crate::redact::Redactor;
use crate::rules::RuleSet;

/// The old and the new row of one key, as far as they exist.
#[derive(Clone, Copy, Debug)]
pub struct RowPair<'a> {
    /// The table, which decides the route and its rules.
    pub table: &'a str,
    /// The key, as text: the outcome's id.
    pub id: &'a str,
    /// The key's position in key order, which orders examples in reports.
    pub seq: u64,
    /// Old's row.
    pub old: Option<&'a Value>,
    /// New's row.
    pub new: Option<&'a Value>,
}

/// Compares old's row with new's under the rules of `table NAME`.
pub fn judge_row(pair: RowPair<'_>, rules: &RuleSet) -> Judged {
    let route = rules.table(pair.table);
    let outcome = match (pair.old, pair.new) {
        (Some(old), Some(new)) => {
            let mut comparison = compare_json(old, new, &route.rules.body);
            for target in comparison
                .differences
                .iter_mut()
                .map(|d| &mut d.target)
                .chain(comparison.ignored.iter_mut().map(|i| &mut i.target))
            {
                if let Target::Body(path) = target {
                    *target = Target::Field(std::mem::take(path));
                }
            }
            Outcome::Compared(comparison)
        }
        (Some(old), None) => one_side(Kind::Removed, old),
        (None, Some(new)) => one_side(Kind::Added, new),
        (None, None) => Outcome::Error(OutcomeError::new(
            "no_row",
            "neither side has a row for this key",
        )),
    };
    Judged {
        id: pair.id.to_string(),
        seq: pair.seq,
        route: route.name,
        outcome,
        noise: None,
        timing: Timing::default(),
    }
}

/// The one difference of a row on one side only, carrying the row.
fn one_side(kind: Kind, row: &Value) -> Outcome {
    let (shown, note) = deep::shown(row);
    let (old, new) = match kind {
        Kind::Added => (None, Some(shown)),
        _ => (Some(shown), None),
    };
    Outcome::Compared(crate::compare::Comparison {
        differences: vec![Difference {
            target: Target::Row,
            kind,
            old,
            new,
            note,
        }],
        ignored: Vec::new(),
    })
}

/// One row's line of the outcomes file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RowLine {
    /// The key as text.
    pub id: String,
    /// The key's position in key order.
    #[serde(default)]
    pub seq: u64,
    /// `table NAME`.
    pub route: String,
    /// `equal`, `different` or `error`, as judged.
    pub outcome: String,
    /// The table: what marks the line as a row's.
    pub table: String,
    /// The key, column by column.
    pub key: Value,
    /// Why the row could not be compared (a duplicate key), when it could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<AnswerError>,
    /// Old's row, secrets redacted (absent when old has none, or when the rows are the `same`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old: Option<Value>,
    /// New's row, likewise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<Value>,
    /// The two rows are the same value for value, so equal under any rules: neither is stored.
    /// Most rows of a good migration are, and this keeps the outcomes file small and cheap.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub same: bool,
    /// The differences found, as signatures with their places.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub differences: Vec<DifferenceLine>,
}

impl RowLine {
    /// The outcomes-file line of a judged row, secrets redacted.
    pub fn new(
        table: &str,
        key: Value,
        judged: &Judged,
        old: Option<&Value>,
        new: Option<&Value>,
        redactor: &Redactor,
    ) -> RowLine {
        let (outcome, error, differences) = match &judged.outcome {
            Outcome::Compared(comparison) if comparison.differences.is_empty() => {
                ("equal", None, Vec::new())
            }
            Outcome::Compared(comparison) => (
                "different",
                None,
                DifferenceLine::all(&comparison.differences),
            ),
            Outcome::Error(error) => (
                "error",
                Some(AnswerError {
                    kind: error.kind.clone(),
                    message: error.message.clone(),
                }),
                Vec::new(),
            ),
            Outcome::Skipped(reason) | Outcome::NotRun(reason) => (
                "error",
                Some(AnswerError {
                    kind: "not_compared".into(),
                    message: reason.clone(),
                }),
                Vec::new(),
            ),
        };
        let same = old.is_some() && old == new;
        let redacted = |row: Option<&Value>| {
            row.map(|row| {
                let mut row = row.clone();
                redactor.value(&mut row);
                row
            })
        };
        RowLine {
            id: judged.id.clone(),
            seq: judged.seq,
            route: judged.route.clone(),
            outcome: outcome.to_string(),
            table: table.to_string(),
            key,
            error,
            old: if same { None } else { redacted(old) },
            new: if same { None } else { redacted(new) },
            same,
            differences,
        }
    }

    /// Judges the stored rows again under `rules`; a stored error stays that error, and rows
    /// that were the same are equal.
    pub fn judge(&self, rules: &RuleSet) -> Judged {
        if self.same {
            return Judged {
                id: self.id.clone(),
                seq: self.seq,
                route: rules.table(&self.table).name,
                outcome: Outcome::Compared(crate::compare::Comparison::default()),
                noise: None,
                timing: Timing::default(),
            };
        }
        if let Some(error) = &self.error {
            return Judged {
                id: self.id.clone(),
                seq: self.seq,
                route: rules.table(&self.table).name,
                outcome: Outcome::Error(OutcomeError::new(&error.kind, error.message.clone())),
                noise: None,
                timing: Timing::default(),
            };
        }
        judge_row(
            RowPair {
                table: &self.table,
                id: &self.id,
                seq: self.seq,
                old: self.old.as_ref(),
                new: self.new.as_ref(),
            },
            rules,
        )
    }
}

/// Whether an outcomes-file line is a row's rather than an exchange's.
pub fn is_row_line(bytes: &[u8]) -> bool {
    #[derive(Deserialize)]
    struct Probe {
        #[serde(default)]
        table: Option<serde::de::IgnoredAny>,
    }
    // A struct also deserialises from a JSON array, field by field; a line is an object.
    bytes.trim_ascii_start().starts_with(b"{")
        && serde_json::from_slice::<Probe>(bytes).is_ok_and(|probe| probe.table.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::path::Path;

    fn rules() -> RuleSet {
        RuleSet::parse(
            r#"
[[route]]
match = "table orders"
ignore = ["$.updated_at"]
json = ["$.items"]
tolerance = { "$.total" = 0.01 }
"#,
            Path::new("data.toml"),
        )
        .unwrap()
    }

    fn signatures(judged: &Judged) -> Vec<String> {
        match &judged.outcome {
            Outcome::Compared(c) => c
                .differences
                .iter()
                .map(|d| d.signature().to_string())
                .collect(),
            other => panic!("{other:?}"),
        }
    }

    fn judge(old: Option<Value>, new: Option<Value>) -> Judged {
        judge_row(
            RowPair {
                table: "orders",
                id: "7",
                seq: 3,
                old: old.as_ref(),
                new: new.as_ref(),
            },
            &rules(),
        )
    }

    #[test]
    fn a_tables_rules_apply_and_differences_are_named_by_path() {
        let old = json!({"id": 7, "email": "a@b.c", "updated_at": "x", "total": 12.30,
                         "items": "[{\"sku\":\"A\",\"qty\":1}]"});
        let new = json!({"id": 7, "email": "a@b", "updated_at": "y", "total": 12.305,
                         "items": [{"qty": 1, "sku": "A"}]});
        let judged = judge(Some(old), Some(new));
        assert_eq!(judged.route, "table orders");
        assert_eq!(signatures(&judged), ["$.email changed"]);
    }

    #[test]
    fn json_columns_compare_as_structure_and_still_show_changes_inside() {
        let old = json!({"items": "{\"b\":1,\"a\":[1,2]}"});
        let new = json!({"items": "{\"a\":[1,3],\"b\":1}"});
        let judged = judge(Some(old), Some(new));
        assert_eq!(signatures(&judged), ["$.items.a[*] changed"]);
        let text_only = judge(
            Some(json!({"items": "not json"})),
            Some(json!({"items": "{}"})),
        );
        assert_eq!(signatures(&text_only), ["$.items type"]);
    }

    #[test]
    fn rows_on_one_side_are_missing_or_extra() {
        let row = json!({"id": 7});
        assert_eq!(
            signatures(&judge(Some(row.clone()), None)),
            ["row missing in new"]
        );
        assert_eq!(signatures(&judge(None, Some(row))), ["row extra in new"]);
    }

    #[test]
    fn lines_round_trip_and_rejudge_to_the_same_outcome() {
        let old = json!({"id": 7, "email": "a@b.c", "ssn": "123"});
        let new = json!({"id": 7, "email": "a@b", "ssn": "123"});
        let judged = judge(Some(old.clone()), Some(new.clone()));
        let redactor = Redactor::new(
            &[],
            vec![crate::PathPattern::parse("$.ssn").unwrap()],
            false,
        );
        let line = RowLine::new(
            "orders",
            json!({"id": 7}),
            &judged,
            Some(&old),
            Some(&new),
            &redactor,
        );
        let text = serde_json::to_string(&line).unwrap();
        assert!(!text.contains("123"), "{text}");
        assert!(is_row_line(text.as_bytes()));
        assert!(!is_row_line(br#"[{"request":{}}]"#));
        assert!(!is_row_line(
            br#"{"id":"r1","request":{"method":"GET","url":"/"}}"#
        ));
        assert!(crate::is_outcome_line(text.as_bytes()));
        let back: RowLine = serde_json::from_str(&text).unwrap();
        assert_eq!(back, line);
        assert_eq!(signatures(&back.judge(&rules())), ["$.email changed"]);
        let equal = judge(Some(old.clone()), Some(old.clone()));
        let same = RowLine::new(
            "orders",
            json!({"id": 7}),
            &equal,
            Some(&old),
            Some(&old),
            &redactor,
        );
        assert!(same.same && same.old.is_none() && same.new.is_none());
        assert_eq!(back.differences[0].path.as_deref(), Some("$.email"));
        assert!(signatures(&same.judge(&rules())).is_empty());
    }
}
