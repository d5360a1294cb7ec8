//! The `diff` benches' corpus and their floor: two recordings of the same order exchanges, one
//! body in ten changed in B, and the least any comparison must do to tell them apart.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::corpus;

/// Writes A and B (`a.jsonl`, `b.jsonl` in `dir`): `pairs` exchanges `GET /orders/I` with a
/// 5-item order body (about 1.1 KB), every tenth body in B slightly changed.
pub fn write(dir: &Path, pairs: usize) -> (PathBuf, PathBuf) {
    let a_path = dir.join("a.jsonl");
    let b_path = dir.join("b.jsonl");
    let mut a = BufWriter::new(File::create(&a_path).expect("create a"));
    let mut b = BufWriter::new(File::create(&b_path).expect("create b"));
    let mut rng = corpus::Rng::new(42);
    for i in 0..pairs {
        let doc = corpus::order(&mut rng, i as u64, 5);
        let other = if i % 10 == 0 {
            corpus::slightly_changed(&doc)
        } else {
            doc.clone()
        };
        for (out, body) in [(&mut a, &doc), (&mut b, &other)] {
            let line = json!({
                "id": format!("r{i}"),
                "request": {"method": "GET", "url": format!("/orders/{i}"), "headers": [], "body": null},
                "response": {"status": 200, "headers": [["content-type", "application/json"]],
                              "body": {"text": body.to_string()}},
            });
            writeln!(out, "{line}").expect("write corpus");
        }
    }
    a.flush().expect("flush a");
    b.flush().expect("flush b");
    (a_path, b_path)
}

/// The floor: read both files line by line, parse each line and its body with serde_json, and
/// compare the bodies with `==`, on one thread. Returns how many pairs differ.
pub fn floor(a: &Path, b: &Path) -> usize {
    let a = BufReader::new(File::open(a).expect("open a"));
    let b = BufReader::new(File::open(b).expect("open b"));
    let mut different = 0;
    for (left, right) in a.lines().zip(b.lines()) {
        let (left, right) = (left.expect("read a"), right.expect("read b"));
        let left: Value = serde_json::from_str(&left).expect("parse a");
        let right: Value = serde_json::from_str(&right).expect("parse b");
        let body = |v: &Value| -> Value {
            serde_json::from_str(v["response"]["body"]["text"].as_str().expect("text body"))
                .expect("parse body")
        };
        if body(&left) != body(&right) {
            different += 1;
        }
    }
    different
}
