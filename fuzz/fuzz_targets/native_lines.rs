//! Fuzzes the reader of a native JSON Lines recording (plain or zstd; a file named .jsonl whose first bytes look like HAR or GoReplay is read as one).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    shadowdiff_fuzz::read_recording("input.jsonl", data);
});
