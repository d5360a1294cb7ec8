//! Fuzzes the reader of a zstd-compressed JSON Lines export (`PATH.jsonl.zst`) as
//! `shadowdiff data` reads a source, keyed by `id`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    shadowdiff_fuzz::read_export("input.jsonl.zst", data);
});
