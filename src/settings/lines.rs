//! Where each key of a settings file is: the 1-based line of every key, by its dotted path
//! (`gate.max_diff_rate`, `targets.old.url`, `gate.route[1].match`, `redact.fields[0]`), read
//! from toml's spans, so that a value found wrong after parsing is named with its line.

use std::collections::BTreeMap;

use toml::de::{DeTable, DeValue};

/// The line of every key of one file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyLines(BTreeMap<String, u64>);

impl KeyLines {
    /// The lines of the keys of `text`; empty when it does not parse (its parse error names the
    /// line then).
    pub fn of(text: &str) -> KeyLines {
        let mut lines = BTreeMap::new();
        if let Ok(table) = DeTable::parse(text) {
            walk(text, "", table.get_ref(), &mut lines);
        }
        KeyLines(lines)
    }

    /// Every key with its line, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, u64)> {
        self.0.iter().map(|(key, line)| (key.as_str(), *line))
    }

    /// The line of the key at `path`, or of the nearest enclosing key that has one.
    pub fn get(&self, path: &str) -> Option<u64> {
        let mut path = path;
        loop {
            if let Some(line) = self.0.get(path) {
                return Some(*line);
            }
            let cut = path.rfind(['.', '['])?;
            path = &path[..cut];
        }
    }
}

/// The 1-based line of a byte offset.
fn line_at(text: &str, offset: usize) -> u64 {
    text[..offset.min(text.len())].matches('\n').count() as u64 + 1
}

fn walk(text: &str, prefix: &str, table: &DeTable<'_>, lines: &mut BTreeMap<String, u64>) {
    for (key, value) in table.iter() {
        let path = if prefix.is_empty() {
            key.get_ref().to_string()
        } else {
            format!("{prefix}.{}", key.get_ref())
        };
        lines
            .entry(path.clone())
            .or_insert_with(|| line_at(text, key.span().start));
        value_lines(text, &path, value.get_ref(), lines);
    }
}

fn value_lines(text: &str, path: &str, value: &DeValue<'_>, lines: &mut BTreeMap<String, u64>) {
    match value {
        DeValue::Table(table) => walk(text, path, table, lines),
        DeValue::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                let at = format!("{path}[{index}]");
                lines
                    .entry(at.clone())
                    .or_insert_with(|| line_at(text, item.span().start));
                value_lines(text, &at, item.get_ref(), lines);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_tables_and_arrays_have_their_lines() {
        let text = "rate = 5\n\n[targets.old]\nurl = \"x\"\nheaders.set = { a = \"b\" }\n\
                    [[gate.route]]\nmatch = \"a\"\n[[gate.route]]\nmatch = \"b\"\n\
                    [redact]\nfields = [\n  \"$.a\",\n  \"$.b\",\n]\n";
        let lines = KeyLines::of(text);
        assert_eq!(lines.get("rate"), Some(1));
        assert_eq!(lines.get("targets.old"), Some(3));
        assert_eq!(lines.get("targets.old.url"), Some(4));
        assert_eq!(lines.get("targets.old.headers.set.a"), Some(5));
        assert_eq!(lines.get("gate.route[1].match"), Some(9));
        assert_eq!(lines.get("redact.fields[1]"), Some(13));
        // A key not in the file falls back to the table that would hold it.
        assert_eq!(lines.get("targets.old.start"), Some(3));
        assert_eq!(lines.get("noise.relative"), None);
    }
}
