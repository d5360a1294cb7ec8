//! Fuzzes the reader of a CSV export (`PATH.csv`: a header row, then one record a row) as
//! `shadowdiff data` reads a source, keyed by `id`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    shadowdiff_fuzz::read_export("input.csv", data);
});
