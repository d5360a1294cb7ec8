//! The JSONPath subset of rule files (RFC 9535): `$`, `.name`, `['name']`, `[N]`, `[*]`, `..name`.

/// One step of a path pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    /// `.name` or `['name']`: the member `name` of an object.
    Child(String),
    /// `[N]`: element N of an array.
    Index(usize),
    /// `[*]` or `.*`: every member or element.
    Wildcard,
    /// `..name`: the member `name` at any depth below.
    Descendant(String),
}

/// A parsed path pattern such as `$.items[*].price`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathPattern {
    /// The steps after `$`.
    pub segments: Vec<Segment>,
    /// The text the pattern was parsed from, for labels.
    pub text: String,
}

impl PathPattern {
    /// Parses a pattern; the error says what is wrong, for a message naming file and line.
    pub fn parse(text: &str) -> Result<PathPattern, String> {
        todo!("{text}")
    }
}
