//! Fuzzes the reader of a JSON Lines export (`PATH.jsonl`, one object a line) as
//! `shadowdiff data` reads a source, keyed by `id`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    shadowdiff_fuzz::read_export("input.jsonl", data);
});
