//! Fuzzes the reader of a HAR file (plain or gzip).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    shadowdiff_fuzz::read_recording("input.har", data);
});
