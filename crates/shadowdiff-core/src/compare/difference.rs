//! What the engine finds: typed, leaf-level differences and the signatures they group under.

use std::fmt::{self, Write as _};

use serde_json::Value;

use crate::rules::RuleId;

/// One leaf-level difference between the old and the new response.
#[derive(Clone, Debug, PartialEq)]
pub struct Difference {
    /// What differs: the status, a header, or a place in the body.
    pub target: Target,
    /// How it differs.
    pub kind: Kind,
    /// The old value at that place (absent when the place was added).
    pub old: Option<Value>,
    /// The new value at that place (absent when the place was removed).
    pub new: Option<Value>,
    /// Why the comparison took a special turn here, e.g. a body that claims JSON but does not parse.
    pub note: Option<String>,
}

/// A difference that a rule hid, kept so that a report can say which rule hid what.
#[derive(Clone, Debug, PartialEq)]
pub struct Ignored {
    /// The rule that matched.
    pub rule: RuleId,
    /// Where the hidden difference was.
    pub target: Target,
}

/// The part of a response a difference is in.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    /// The status code.
    Status,
    /// A header, by lower-case name.
    Header(String),
    /// A place in the body: a JSON path, `$` for a whole text or binary body.
    Body(BodyPath),
    /// A place in a table's row: `$.column`, or a path inside a JSON column.
    Field(BodyPath),
    /// A whole row, on one side only: [`Kind::Removed`] when it is missing in new,
    /// [`Kind::Added`] when it is extra in new.
    Row,
}

/// How two values differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// Same place, same type, different value.
    Changed,
    /// Present in new only.
    Added,
    /// Present in old only.
    Removed,
    /// Same place, different JSON type (or JSON on one side, text on the other).
    Type,
    /// An ordered array holding the same elements on both sides (under the rules), in another
    /// order: one difference for the whole array rather than one per moved element.
    Reordered,
}

impl Kind {
    /// The word used in signatures and report.json.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Changed => "changed",
            Kind::Added => "added",
            Kind::Removed => "removed",
            Kind::Type => "type",
            Kind::Reordered => "reordered",
        }
    }
}

/// One step into a JSON document.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Step {
    /// An object member.
    Key(String),
    /// An array element.
    Index(usize),
}

/// A concrete path into a JSON body, written as JSONPath (`$.items[3].price`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BodyPath(pub Vec<Step>);

impl BodyPath {
    /// The path of the whole body, `$`.
    pub fn root() -> BodyPath {
        BodyPath(Vec::new())
    }

    /// This path with one more step.
    pub fn join(&self, step: Step) -> BodyPath {
        let mut steps = Vec::with_capacity(self.0.len() + 1);
        steps.extend_from_slice(&self.0);
        steps.push(step);
        BodyPath(steps)
    }

    /// The path with every index erased to `[*]`, as signatures show it.
    pub fn erased(&self) -> String {
        let mut out = String::from("$");
        for step in &self.0 {
            match step {
                Step::Key(key) => push_key(&mut out, key),
                Step::Index(_) => out.push_str("[*]"),
            }
        }
        out
    }
}

impl fmt::Display for BodyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::from("$");
        for step in &self.0 {
            match step {
                Step::Key(key) => push_key(&mut out, key),
                Step::Index(index) => {
                    let _ = write!(out, "[{index}]");
                }
            }
        }
        f.write_str(&out)
    }
}

/// Writes `.name` for plain identifiers and `['name']` (escaped) for anything else.
fn push_key(out: &mut String, key: &str) {
    let plain = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        out.push('.');
        out.push_str(key);
    } else {
        out.push_str("['");
        for c in key.chars() {
            match c {
                '\'' => out.push_str("\\'"),
                '\\' => out.push_str("\\\\"),
                c if (c as u32) < 0x20 => {
                    let _ = write!(out, "\\u{:04x}", c as u32);
                }
                c => out.push(c),
            }
        }
        out.push_str("']");
    }
}

/// A difference with its indices erased: what reports group by and snapshots accept.
///
/// Written `status changed`, `header NAME KIND`, `body PATH KIND` for responses, and `PATH KIND`
/// (`$.email changed`), `row missing in new` or `row extra in new` for rows.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Signature {
    /// `status`, `header`, `body`, `field` or `row`.
    pub target: &'static str,
    /// The erased JSON path for bodies, the lower-case name for headers, none for the status.
    pub path: Option<String>,
    /// How it differs.
    pub kind: Kind,
}

impl Signature {
    /// Parses the text form written by [`fmt::Display`] (`body $.items[*].price changed`).
    pub fn parse(text: &str) -> Option<Signature> {
        for (row, kind) in [(ROW_MISSING, Kind::Removed), (ROW_EXTRA, Kind::Added)] {
            if text == row {
                return Some(Signature {
                    target: "row",
                    path: None,
                    kind,
                });
            }
        }
        let (head, kind) = text.rsplit_once(' ')?;
        let kind = match kind {
            "changed" => Kind::Changed,
            "added" => Kind::Added,
            "removed" => Kind::Removed,
            "type" => Kind::Type,
            "reordered" => Kind::Reordered,
            _ => return None,
        };
        if head.starts_with('$') {
            return Some(Signature {
                target: "field",
                path: Some(head.to_string()),
                kind,
            });
        }
        let (target, path) = match head.split_once(' ') {
            Some((target, path)) => (target, Some(path.to_string())),
            None => (head, None),
        };
        let target = match (target, &path) {
            ("status", None) => "status",
            ("header", Some(_)) => "header",
            ("body", Some(_)) => "body",
            _ => return None,
        };
        Some(Signature { target, path, kind })
    }
}

/// The signature of a row that old has and new has not.
const ROW_MISSING: &str = "row missing in new";
/// The signature of a row that new has and old has not.
const ROW_EXTRA: &str = "row extra in new";

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.target, &self.path) {
            ("row", _) if self.kind == Kind::Removed => f.write_str(ROW_MISSING),
            ("row", _) if self.kind == Kind::Added => f.write_str(ROW_EXTRA),
            ("field", Some(path)) => write!(f, "{} {}", path, self.kind.as_str()),
            (target, Some(path)) => write!(f, "{} {} {}", target, path, self.kind.as_str()),
            (target, None) => write!(f, "{} {}", target, self.kind.as_str()),
        }
    }
}

impl Target {
    /// `status`, `header`, `body`, `field` or `row`, as report.json names targets.
    pub fn name(&self) -> &'static str {
        match self {
            Target::Status => "status",
            Target::Header(_) => "header",
            Target::Body(_) => "body",
            Target::Field(_) => "field",
            Target::Row => "row",
        }
    }

    /// The concrete place, as examples show it: a JSON path (`$` for a whole row), a header
    /// name, or none for the status.
    pub fn place(&self) -> Option<String> {
        match self {
            Target::Status => None,
            Target::Row => Some("$".to_string()),
            Target::Header(name) => Some(name.clone()),
            Target::Body(path) | Target::Field(path) => Some(path.to_string()),
        }
    }
}

impl Difference {
    /// The signature this difference counts under.
    pub fn signature(&self) -> Signature {
        let path = match &self.target {
            Target::Status | Target::Row => None,
            Target::Header(name) => Some(name.clone()),
            Target::Body(path) | Target::Field(path) => Some(path.erased()),
        };
        Signature {
            target: self.target.name(),
            path,
            kind: self.kind,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(steps: &[Step]) -> BodyPath {
        BodyPath(steps.to_vec())
    }

    #[test]
    fn paths_render_as_jsonpath() {
        let p = path(&[
            Step::Key("items".into()),
            Step::Index(3),
            Step::Key("price".into()),
        ]);
        assert_eq!(p.to_string(), "$.items[3].price");
        assert_eq!(p.erased(), "$.items[*].price");
        let odd = path(&[Step::Key("a b".into()), Step::Key("it's".into())]);
        assert_eq!(odd.to_string(), "$['a b']['it\\'s']");
        assert_eq!(BodyPath::root().to_string(), "$");
        assert_eq!(path(&[Step::Key("1x".into())]).to_string(), "$['1x']");
    }

    #[test]
    fn signatures_round_trip_through_text() {
        for text in [
            "body $.items[*].price changed",
            "header content-type removed",
            "status changed",
            "body $['a b'] type",
            "body $.tags reordered",
            "$.email changed",
            "$.legs[*].from removed",
            "row missing in new",
            "row extra in new",
        ] {
            let sig = Signature::parse(text).expect(text);
            assert_eq!(sig.to_string(), text);
        }
        assert_eq!(Signature::parse("status frobbed"), None);
        assert_eq!(Signature::parse("body changed"), None);
        assert_eq!(Signature::parse("row changed"), None);
        assert_eq!(
            Signature::parse("$.email changed").map(|s| s.target),
            Some("field")
        );
    }

    #[test]
    fn difference_signature_erases_indices() {
        let diff = Difference {
            target: Target::Body(path(&[Step::Key("items".into()), Step::Index(0)])),
            kind: Kind::Added,
            old: None,
            new: Some(Value::from(1)),
            note: None,
        };
        assert_eq!(diff.signature().to_string(), "body $.items[*] added");
    }
}
