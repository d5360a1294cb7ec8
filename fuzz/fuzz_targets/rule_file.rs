//! Fuzzes the reader of a comparator rule file (`comparators/*.toml`), then judges a fixed set of
//! exchanges under the rules it compiled, so that rules which load but break the comparison show.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use shadowdiff_core::{judge, Pair, Request, Response};

/// The requests judged: routes of the shipped example and a few others.
const REQUESTS: [(&str, &str); 6] = [
    ("GET", "/orders/7?expand=items"),
    ("GET", "/orders"),
    ("POST", "/orders"),
    ("GET", "/customers/3"),
    ("DELETE", "/a/b/c/d"),
    ("GET", "/"),
];

/// Old's answer, old's second answer, and new's: bodies with the shapes rules aim at (arrays of
/// objects, numbers, nested timestamps, headers that change).
const ANSWERS: [&str; 3] = [
    r#"{"status":200,"headers":[["content-type","application/json"],["date","Mon"],["etag","a"]],"body":{"text":"{\"meta\":{\"requestId\":\"a1\",\"generatedAt\":\"2026-11-20T10:00:01.931Z\"},\"id\":7,\"total\":59.97,\"tags\":[\"x\",\"y\"],\"items\":[{\"sku\":\"A\",\"qty\":1,\"price\":19.99},{\"sku\":\"B\",\"qty\":2,\"price\":20.0}],\"orders\":[{\"total\":1.5,\"createdAt\":\"2026-11-20T10:00:01.123Z\"}],\"loyalty\":{\"points\":120}}"}}"#,
    r#"{"status":200,"headers":[["content-type","application/json"],["date","Tue"],["etag","b"]],"body":{"text":"{\"meta\":{\"requestId\":\"a2\",\"generatedAt\":\"2026-11-20T10:00:02.001Z\"},\"id\":7,\"total\":59.97,\"tags\":[\"y\",\"x\"],\"items\":[{\"sku\":\"B\",\"qty\":2,\"price\":20.0},{\"sku\":\"A\",\"qty\":1,\"price\":19.99}],\"orders\":[{\"total\":1.5,\"createdAt\":\"2026-11-20T10:00:01.456Z\"}],\"loyalty\":{\"points\":120}}"}}"#,
    r#"{"status":404,"headers":[["content-type","application/json"],["date","Wed"],["etag","c"],["x-new","1"]],"body":{"text":"{\"meta\":{\"requestId\":\"b1\",\"generatedAt\":\"2026-11-20T10:00:03.000Z\"},\"id\":\"7\",\"total\":59.970000000000006,\"tags\":[\"x\"],\"items\":[{\"sku\":\"B\",\"qty\":3,\"price\":\"20.0\"},{\"sku\":\"C\",\"qty\":1}],\"orders\":[],\"loyalty\":{}}"}}"#,
];

fn answers() -> &'static [Response; 3] {
    static ANSWERS_PARSED: OnceLock<[Response; 3]> = OnceLock::new();
    ANSWERS_PARSED
        .get_or_init(|| ANSWERS.map(|text| serde_json::from_str(text).expect("a fixed answer")))
}

fuzz_target!(|data: &[u8]| {
    let path = shadowdiff_fuzz::write_input("rules.toml", data);
    let rules = match shadowdiff_io::load_rules(&path) {
        Ok(rules) => rules,
        Err(err) => return shadowdiff_fuzz::assert_names(&err, &path),
    };
    let [old, noise, new] = answers();
    for (seq, (method, url)) in REQUESTS.into_iter().enumerate() {
        let request = Request {
            method: method.to_string(),
            url: url.to_string(),
            headers: vec![("accept".to_string(), "application/json".to_string())],
            body: Default::default(),
        };
        for noise in [None, Some(noise)] {
            let judged = judge(
                Pair {
                    id: "r1",
                    seq: seq as u64,
                    request: &request,
                    old: Some(old),
                    new: Some(new),
                    noise,
                },
                &rules,
            );
            assert_eq!(judged.route, rules.route(method, request.path()).name);
        }
    }
});
