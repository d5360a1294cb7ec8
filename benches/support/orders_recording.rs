//! The recording the replay benches replay: `GET /orders/I` exchanges, one a line, each with the
//! same recorded response (or none).

use std::io::{BufWriter, Write as _};
use std::path::Path;

/// Writes `exchanges` exchanges `r0`, `r1`, … to `path`; `response` follows each request as it
/// is (`,"response":{..}`, or empty for none).
pub fn write(path: &Path, exchanges: usize, response: &str) {
    let mut out = BufWriter::new(std::fs::File::create(path).expect("create recording"));
    for i in 0..exchanges {
        writeln!(
            out,
            r#"{{"id":"r{i}","request":{{"method":"GET","url":"/orders/{i}","headers":[["accept","application/json"]],"body":null}}{response}}}"#
        )
        .expect("write recording");
    }
    out.flush().expect("flush recording");
}
