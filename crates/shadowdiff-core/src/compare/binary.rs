//! Bodies that are neither JSON nor text: compared by length and hash.

use xxhash_rust::xxh3::xxh3_64;

/// How a binary body shows in a difference: `<1234 bytes, xxh3 0123456789abcdef>`.
pub(crate) fn summary(bytes: &[u8]) -> String {
    format!("<{} bytes, xxh3 {:016x}>", bytes.len(), xxh3_64(bytes))
}

/// The old and new summaries when the bytes differ, `None` when they are equal.
pub(crate) fn compare(old: &[u8], new: &[u8]) -> Option<(String, String)> {
    (old != new).then(|| (summary(old), summary(new)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_bytes_are_no_difference_and_others_show_length_and_hash() {
        assert_eq!(compare(b"abc", b"abc"), None);
        let (old, new) = compare(&[0, 1, 2], &[0, 1]).expect("different");
        assert!(old.starts_with("<3 bytes, xxh3 "), "{old}");
        assert!(new.starts_with("<2 bytes, xxh3 "), "{new}");
        assert_eq!(old.len(), "<3 bytes, xxh3 0123456789abcdef>".len());
    }
}
