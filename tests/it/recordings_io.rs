//! Recordings on disk: round trips through the writer and readers, plain and zstd, files and
//! folders, and every kind of bad input reported with its file and line.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::Path;

use crate::common::{proptest_config, read_recording, unzstd, write_file, zstd_bytes, Project};
use proptest::prelude::*;
use shadowdiff_core::{Body, Exchange, Request, Response};
use shadowdiff_io::{
    self as recordings, is_recording_file, parse_line, Error, Limits, RawLines, Record,
    RecordingWriter,
};

const REQUEST: &str = r#""request":{"method":"GET","url":"/a"}"#;

fn exchange(id: &str, body: Body) -> Exchange {
    Exchange {
        id: id.into(),
        ts: Some("2026-11-20T10:00:00Z".into()),
        request: Request {
            method: "POST".into(),
            url: "/orders/1?expand=items".into(),
            headers: vec![
                ("accept".into(), "application/json".into()),
                ("x-dup".into(), "1".into()),
                ("X-Dup".into(), "2".into()),
            ],
            body: body.clone(),
        },
        response: Some(Response {
            status: 200,
            headers: vec![("content-type".into(), "application/octet-stream".into())],
            body,
        }),
        tags: BTreeMap::from([("source".into(), "prod-eu".into())]),
    }
}

fn sample_exchanges() -> Vec<Exchange> {
    let mut request_only = exchange("request-only", Body::Empty);
    request_only.response = None;
    request_only.ts = None;
    request_only.tags.clear();
    vec![
        exchange("text", Body::Text("{\"id\":123}\n".into())),
        exchange(
            "binary",
            Body::Binary(vec![0, 159, 146, 150, 255, 0xc3, 0x28]),
        ),
        exchange("nul", Body::Binary(vec![0, 0, 0])),
        exchange("valid-utf8-as-binary", Body::Binary(b"plain".to_vec())),
        exchange("empty-binary", Body::Binary(vec![])),
        exchange("empty-text", Body::Text(String::new())),
        exchange("empty", Body::Empty),
        exchange(
            "unicode",
            Body::Text("héllo wörld — 日本語 😀 \u{0} \u{2028} \"q\" \\".into()),
        ),
        request_only,
    ]
}

fn write_recording(path: &Path, exchanges: &[Exchange]) {
    let mut writer = RecordingWriter::create(path).unwrap();
    for exchange in exchanges {
        writer.write(exchange).unwrap();
    }
    writer.finish().unwrap();
}

/// Every item the reader gives, errors as their text.
fn read_items(path: &Path, limits: &Limits) -> Vec<Result<Record, String>> {
    match recordings::read(path, limits) {
        Ok(records) => records.map(|r| r.map_err(|e| e.to_string())).collect(),
        Err(err) => vec![Err(err.to_string())],
    }
}

/// The first error reading `path` gives, at open or while reading.
fn first_error(path: &Path, limits: &Limits) -> String {
    read_items(path, limits)
        .into_iter()
        .find_map(Result::err)
        .unwrap_or_else(|| panic!("{} read without an error", path.display()))
}

fn line(id: &str) -> String {
    format!(r#"{{"id":"{id}",{REQUEST}}}"#)
}

#[test]
fn round_trip_plain_and_zstd_keeps_every_byte() {
    let dir = Project::new();
    let exchanges = sample_exchanges();
    for name in ["r.jsonl", "r.jsonl.zst", "r.ndjson", "r.ndjson.zst"] {
        let path = dir.path().join(name);
        write_recording(&path, &exchanges);
        assert_eq!(read_recording(&path), exchanges, "{name}");
    }
    let plain = fs::read(dir.path().join("r.jsonl")).unwrap();
    assert!(!plain.starts_with(&[0x28, 0xB5, 0x2F, 0xFD]));
    assert_eq!(
        plain.iter().filter(|&&b| b == b'\n').count(),
        exchanges.len()
    );
    let compressed = fs::read(dir.path().join("r.jsonl.zst")).unwrap();
    assert!(compressed.starts_with(&[0x28, 0xB5, 0x2F, 0xFD]));
    assert_eq!(unzstd(&compressed), plain);
}

#[test]
fn rewriting_what_was_read_gives_the_same_bytes() {
    let dir = Project::new();
    let first = dir.path().join("first.jsonl");
    write_recording(&first, &sample_exchanges());
    let second = dir.path().join("second.jsonl");
    write_recording(&second, &read_recording(&first));
    assert_eq!(fs::read(&first).unwrap(), fs::read(&second).unwrap());
}

#[test]
fn writer_leaves_nothing_behind_until_finished() {
    let dir = Project::new();
    let path = dir.path().join("out.jsonl.zst");
    let mut writer = RecordingWriter::create(&path).unwrap();
    writer.write(&exchange("a", Body::Empty)).unwrap();
    assert!(!path.exists());
    drop(writer);
    assert!(!path.exists());
    assert_eq!(
        fs::read_dir(dir.path()).unwrap().count(),
        0,
        "temp file left"
    );

    fs::write(&path, b"old contents").unwrap();
    let mut writer = RecordingWriter::create(&path).unwrap();
    writer.write(&exchange("b", Body::Empty)).unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"old contents");
    writer.finish().unwrap();
    assert_eq!(read_recording(&path)[0].id, "b");
    assert_eq!(
        fs::read_dir(dir.path()).unwrap().count(),
        1,
        "temp file left"
    );
}

#[test]
fn writer_into_a_missing_folder_is_an_io_error() {
    let dir = Project::new();
    let path = dir.path().join("missing/out.jsonl");
    let err = RecordingWriter::create(&path).err().unwrap();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    assert!(err.to_string().contains("missing/out.jsonl"), "{err}");
}

#[test]
fn a_mislabelled_zstd_file_is_still_read() {
    let dir = Project::new();
    let text = format!("{}\n{}\n", line("a"), line("b"));
    let path = write_file(
        &dir.path().join("really-zstd.jsonl"),
        zstd_bytes(text.as_bytes()),
    );
    let ids: Vec<_> = read_recording(&path).into_iter().map(|e| e.id).collect();
    assert_eq!(ids, ["a", "b"]);
    let path = write_file(&dir.path().join("really-plain.jsonl.zst"), text.as_bytes());
    assert_eq!(read_recording(&path).len(), 2);
}

#[test]
fn concatenated_zstd_frames_are_one_recording() {
    let dir = Project::new();
    let mut bytes = zstd_bytes(format!("{}\n", line("a")).as_bytes());
    bytes.extend(zstd_bytes(format!("{}\n", line("b")).as_bytes()));
    let path = write_file(&dir.path().join("r.jsonl.zst"), &bytes);
    assert_eq!(read_recording(&path).len(), 2);
}

#[test]
fn truncated_zstd_names_the_file_and_the_line_reached() {
    let dir = Project::new();
    let path = dir.path().join("cut.jsonl.zst");
    let exchanges: Vec<_> = (0..2000)
        .map(|i| exchange(&format!("r{i}"), Body::Text(format!("body {i}"))))
        .collect();
    write_recording(&path, &exchanges);
    let bytes = fs::read(&path).unwrap();
    write_file(&path, &bytes[..bytes.len() / 2]);
    let items = read_items(&path, &Limits::default());
    let (last, good) = items.split_last().unwrap();
    assert!(good.iter().all(Result::is_ok));
    let err = last.as_ref().unwrap_err();
    let prefix = format!(
        "{}: zstd stream is truncated or corrupt after line {}: ",
        path.display(),
        good.len()
    );
    assert!(err.starts_with(&prefix), "{err}");

    write_file(&path, &bytes[..3]);
    let err = first_error(&path, &Limits::default());
    assert!(
        err.starts_with(&format!(
            "{}: zstd stream is truncated or corrupt after line 0",
            path.display()
        )),
        "{err}"
    );
}

#[test]
fn corrupt_zstd_names_the_file() {
    let dir = Project::new();
    let text: String = (0..50)
        .map(|i| format!("{}\n", line(&format!("r{i}"))))
        .collect();
    let mut bytes = zstd_bytes(text.as_bytes());
    let middle = bytes.len() / 2;
    for byte in &mut bytes[middle..middle + 8] {
        *byte ^= 0x5A;
    }
    let path = write_file(&dir.path().join("bad.jsonl.zst"), &bytes);
    let err = first_error(&path, &Limits::default());
    assert!(
        err.starts_with(&format!(
            "{}: zstd stream is truncated or corrupt after line ",
            path.display()
        )),
        "{err}"
    );

    let path = write_file(
        &dir.path().join("garbage.jsonl.zst"),
        b"\x00\x01\x02\x03 not zstd",
    );
    let err = first_error(&path, &Limits::default());
    assert!(
        err.starts_with(&format!(
            "{}: zstd stream is truncated or corrupt after line 0: ",
            path.display()
        )),
        "{err}"
    );
}

#[test]
fn bad_json_names_file_and_line_and_reading_goes_on() {
    let dir = Project::new();
    let text = format!("{}\n{{\"id\": oops}}\n{}\n", line("a"), line("c"));
    let path = write_file(&dir.path().join("r.jsonl"), text.as_bytes());
    let items = read_items(&path, &Limits::default());
    assert_eq!(items.len(), 3);
    let err = items[1].as_ref().unwrap_err();
    assert!(
        err.starts_with(&format!(
            "{}:2: invalid JSON: expected value at column 8",
            path.display()
        )),
        "{err}"
    );
    assert_eq!(items[2].as_ref().unwrap().exchange.id, "c");
}

#[test]
fn invalid_base64_body_is_an_error_at_its_line() {
    let dir = Project::new();
    let text = r#"{"request":{"method":"GET","url":"/","body":{"base64":"not base64!"}}}"#;
    let path = write_file(&dir.path().join("r.jsonl"), text.as_bytes());
    let err = first_error(&path, &Limits::default());
    assert!(
        err.starts_with(&format!(
            "{}:1: invalid exchange: body is not valid base64",
            path.display()
        )),
        "{err}"
    );
}

#[test]
fn missing_request_is_an_error_at_its_line() {
    let dir = Project::new();
    let bad = r#"{"id":"x","response":{"status":200}}"#;
    let text = format!("{}\n{bad}\n", line("a"));
    let path = write_file(&dir.path().join("r.jsonl"), text.as_bytes());
    let err = first_error(&path, &Limits::default());
    assert_eq!(
        err,
        format!(
            "{}:2: invalid exchange: missing field `request` at column {}",
            path.display(),
            bad.len()
        )
    );
}

#[test]
fn raw_non_utf8_text_body_points_to_base64() {
    let dir = Project::new();
    let mut bytes = format!("{}\n", line("a")).into_bytes();
    let before = br#"{"request":{"method":"GET","url":"/","body":{"text":"caf"#;
    bytes.extend_from_slice(before);
    bytes.extend_from_slice(b"\xe9\"}}}\n");
    let column = before.len() + 1;
    let path = write_file(&dir.path().join("r.jsonl"), &bytes);
    let err = first_error(&path, &Limits::default());
    assert!(
        err.starts_with(&format!(
            "{}:2: text is not valid UTF-8 at column {column}",
            path.display()
        )),
        "{err}"
    );
    assert!(
        err.ends_with(r#"binary bodies belong in {"base64": ...}"#),
        "{err}"
    );
}

#[test]
fn lone_surrogate_escape_points_to_base64() {
    let dir = Project::new();
    let text = r#"{"request":{"method":"GET","url":"/","body":{"text":"\udead"}}}"#;
    let path = write_file(&dir.path().join("r.jsonl"), text.as_bytes());
    let err = first_error(&path, &Limits::default());
    assert!(
        err.starts_with(&format!(
            "{}:1: text is not valid UTF-8 at column",
            path.display()
        )),
        "{err}"
    );
    assert!(err.contains("lone surrogate"), "{err}");
    assert!(
        err.ends_with(r#"binary bodies belong in {"base64": ...}"#),
        "{err}"
    );
}

#[test]
fn empty_recordings_are_errors() {
    let dir = Project::new();
    for (name, bytes) in [
        ("empty.jsonl", Vec::new()),
        ("blank.jsonl", b"\n  \n\t\r\n\n".to_vec()),
        ("empty.jsonl.zst", zstd_bytes(b"")),
        ("blank.jsonl.zst", zstd_bytes(b"\n\n")),
    ] {
        let path = write_file(&dir.path().join(name), &bytes);
        let items = read_items(&path, &Limits::default());
        assert_eq!(items.len(), 1, "{name}");
        assert_eq!(
            items[0].as_ref().unwrap_err(),
            &format!("{}: recording is empty: no exchanges", path.display()),
            "{name}"
        );
    }
}

#[test]
fn a_line_over_the_limit_is_an_error_and_the_next_line_is_read() {
    let dir = Project::new();
    let long = format!(
        r#"{{"id":"long","tags":{{"pad":"{}"}},{REQUEST}}}"#,
        "x".repeat(500)
    );
    let text = format!("{}\n{long}\n{}\n", line("a"), line("c"));
    let limits = Limits {
        max_line_bytes: 200,
    };
    for (name, bytes) in [
        ("r.jsonl", text.clone().into_bytes()),
        ("r.jsonl.zst", zstd_bytes(text.as_bytes())),
    ] {
        let path = write_file(&dir.path().join(name), &bytes);
        let items = read_items(&path, &limits);
        assert_eq!(items.len(), 3, "{name}");
        assert_eq!(
            items[1].as_ref().unwrap_err(),
            &format!(
                "{}:2: line is longer than the limit of 200 bytes",
                path.display()
            )
        );
        assert_eq!(items[2].as_ref().unwrap().exchange.id, "c");
        assert_eq!(items[2].as_ref().unwrap().location.line, Some(3));
    }
    let path = write_file(&dir.path().join("one.jsonl"), long.as_bytes());
    assert_eq!(read_items(&path, &limits).len(), 1);
}

#[test]
fn a_folder_without_recordings_is_an_error() {
    let dir = Project::new();
    write_file(&dir.path().join("notes.txt"), b"hello");
    write_file(&dir.path().join(".hidden.jsonl"), line("h").as_bytes());
    fs::create_dir(dir.path().join("sub.jsonl")).unwrap();
    let err = first_error(dir.path(), &Limits::default());
    assert!(
        err.starts_with(&format!(
            "{}: folder holds no recordings",
            dir.path().display()
        )),
        "{err}"
    );
    assert!(RawLines::open(dir.path(), &Limits::default()).is_err());
}

#[test]
fn a_missing_file_is_an_io_error_naming_it() {
    let dir = Project::new();
    let path = dir.path().join("nope.jsonl");
    let err = recordings::read(&path, &Limits::default()).err().unwrap();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with(&format!("{}: ", path.display())),
        "{err}"
    );
}

#[test]
fn numeric_ids_become_strings() {
    let dir = Project::new();
    let text = format!("{{\"id\":17,{REQUEST}}}\n{{\"id\":-2,{REQUEST}}}\n");
    let path = write_file(&dir.path().join("r.jsonl"), text.as_bytes());
    let ids: Vec<_> = read_recording(&path).into_iter().map(|e| e.id).collect();
    assert_eq!(ids, ["17", "-2"]);
}

#[test]
fn missing_ids_fall_back_to_the_line_in_a_file_and_file_and_line_in_a_folder() {
    let dir = Project::new();
    let text = format!("{{{REQUEST}}}\n\n{}\n{{{REQUEST}}}\n", line("given"));
    let path = write_file(&dir.path().join("b.jsonl"), text.as_bytes());
    let ids: Vec<_> = read_recording(&path).into_iter().map(|e| e.id).collect();
    assert_eq!(ids, ["1", "given", "4"]);
    let ids: Vec<_> = read_recording(dir.path())
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(ids, ["b.jsonl:1", "given", "b.jsonl:4"]);
}

#[test]
fn a_folder_is_read_in_file_name_order_skipping_others() {
    let dir = Project::new();
    let d = dir.path();
    write_file(&d.join("b.jsonl"), format!("{}\n", line("b")).as_bytes());
    write_file(&d.join("B.ndjson"), format!("{}\n", line("B")).as_bytes());
    write_file(
        &d.join("a.jsonl.zst"),
        zstd_bytes(format!("{}\n{}\n", line("a1"), line("a2")).as_bytes()),
    );
    write_file(&d.join("c.json"), format!("{}\n", line("c")).as_bytes());
    write_file(
        &d.join("a10.ndjson.zst"),
        zstd_bytes(format!("{}\n", line("a10")).as_bytes()),
    );
    write_file(&d.join("readme.md"), b"not a recording");
    write_file(&d.join("x.csv"), b"{}");
    write_file(&d.join(".partial.jsonl"), b"{broken");
    fs::create_dir(d.join("nested")).unwrap();
    write_file(
        &d.join("nested/0.jsonl"),
        format!("{}\n", line("nested")).as_bytes(),
    );

    let records: Vec<Record> = recordings::read(d, &Limits::default())
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let ids: Vec<_> = records.iter().map(|r| r.exchange.id.as_str()).collect();
    assert_eq!(ids, ["B", "a1", "a2", "a10", "b", "c"]);
    assert_eq!(records[2].location.path, d.join("a.jsonl.zst"));
    assert_eq!(records[2].location.line, Some(2));
}

#[test]
fn an_empty_file_in_a_folder_is_an_error_naming_it() {
    let dir = Project::new();
    write_file(
        &dir.path().join("a.jsonl"),
        format!("{}\n", line("a")).as_bytes(),
    );
    let empty = write_file(&dir.path().join("b.jsonl"), b"");
    let items = read_items(dir.path(), &Limits::default());
    assert!(items[0].is_ok());
    assert_eq!(
        items[1].as_ref().unwrap_err(),
        &format!("{}: recording is empty: no exchanges", empty.display())
    );
    assert_eq!(items.len(), 2);
}

#[test]
fn blank_lines_count_for_line_numbers() {
    let dir = Project::new();
    let text = format!("\n{}\r\n  \n\n{}\n\n", line("a"), line("b"));
    let path = write_file(&dir.path().join("r.jsonl"), text.as_bytes());
    let lines: Vec<_> = RawLines::open(&path, &Limits::default())
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0].location.line, Some(2));
    assert_eq!(lines[0].bytes, line("a").as_bytes(), "\\r is stripped");
    assert_eq!(lines[0].fallback_id, "2");
    assert_eq!(lines[1].location.line, Some(5));
    assert_eq!(
        lines[1].location.to_string(),
        format!("{}:5", path.display())
    );
    assert_eq!(parse_line(&lines[1]).unwrap().id, "b");
}

#[test]
fn a_byte_order_mark_at_the_start_is_ignored() {
    let dir = Project::new();
    let text = format!("\u{feff}{}\n", line("a"));
    let path = write_file(&dir.path().join("r.jsonl"), text.as_bytes());
    assert_eq!(read_recording(&path)[0].id, "a");
}

#[test]
fn a_file_named_directly_is_read_whatever_its_name() {
    let dir = Project::new();
    let path = write_file(
        &dir.path().join("capture.txt"),
        format!("{}\n", line("a")).as_bytes(),
    );
    assert!(!is_recording_file(&path));
    assert_eq!(read_recording(&path).len(), 1);
    assert!(is_recording_file(&dir.path().join("x.jsonl.zst")));
}

#[test]
fn a_large_file_streams_line_by_line() {
    const LINES: usize = 200_000;
    let dir = Project::new();
    for name in ["big.jsonl", "big.jsonl.zst"] {
        let path = dir.path().join(name);
        let mut writer = RecordingWriter::create(&path).unwrap();
        let mut record = Exchange {
            id: String::new(),
            ts: None,
            request: Request {
                method: "GET".into(),
                url: "/".into(),
                headers: vec![],
                body: Body::Empty,
            },
            response: None,
            tags: BTreeMap::new(),
        };
        for i in 0..LINES {
            record.id = i.to_string();
            writer.write(&record).unwrap();
        }
        writer.finish().unwrap();

        let mut count = 0;
        let mut last = String::new();
        for record in recordings::read(
            &path,
            &Limits {
                max_line_bytes: 256,
            },
        )
        .unwrap()
        {
            last = record.unwrap().exchange.id;
            count += 1;
        }
        assert_eq!(count, LINES, "{name}");
        assert_eq!(last, (LINES - 1).to_string());
    }
}

#[test]
fn readers_can_move_between_threads() {
    fn send<T: Send>(_: &T) {}
    let dir = Project::new();
    let path = write_file(
        &dir.path().join("r.jsonl"),
        format!("{}\n", line("a")).as_bytes(),
    );
    let lines = RawLines::open(&path, &Limits::default()).unwrap();
    send(&lines);
    let writer = RecordingWriter::create(&dir.path().join("w.jsonl")).unwrap();
    send(&writer);
}

#[test]
fn unterminated_last_line_and_crlf_files_read() {
    let dir = Project::new();
    let text = format!("{}\r\n{}", line("a"), line("b"));
    let path = write_file(&dir.path().join("r.jsonl"), text.as_bytes());
    let ids: Vec<_> = read_recording(&path).into_iter().map(|e| e.id).collect();
    assert_eq!(ids, ["a", "b"]);
}

#[test]
fn arbitrary_bytes_never_panic() {
    let dir = Project::new();
    let path = dir.path().join("noise.jsonl");
    let mut file = fs::File::create(&path).unwrap();
    let mut state = 0x2545_f491_u32;
    for _ in 0..20_000 {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let byte = match state % 7 {
            0 => b'\n',
            1 => b'{',
            2 => b'"',
            _ => (state >> 8) as u8,
        };
        file.write_all(&[byte]).unwrap();
    }
    drop(file);
    for limits in [Limits::default(), Limits { max_line_bytes: 3 }] {
        let _ = read_items(&path, &limits);
    }
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), "[a-z/?=&%]{0,12}", Just(String::new())]
}

fn body() -> impl Strategy<Value = Body> {
    prop_oneof![
        Just(Body::Empty),
        text().prop_map(Body::Text),
        proptest::collection::vec(any::<u8>(), 0..64).prop_map(Body::Binary),
    ]
}

fn headers() -> impl Strategy<Value = Vec<(String, String)>> {
    proptest::collection::vec((text(), text()), 0..4)
}

/// An exchange a reader accepts: any id, headers, bodies and tags, with a method that is a token,
/// a path or an absolute URL, a status of 100 to 599 and an RFC 3339 time, if any (anything
/// else is refused with its line; see tests/it/cli_bad_inputs.rs).
fn arbitrary_exchange() -> impl Strategy<Value = Exchange> {
    (
        text(),
        proptest::option::of(
            "20[0-9]{2}-0[1-9]-(0[1-9]|1[0-9]|2[0-8])T[01][0-9]:[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,9})?(Z|[+-]0[0-9]:[0-5][0-9])",
        ),
        (
            "[!#$%&'*+.^_`|~0-9A-Za-z-]{1,10}",
            prop_oneof![
                text().prop_map(|path| format!("/{path}")),
                text().prop_map(|path| format!("https://h.example/{path}")),
            ],
            headers(),
            body(),
        ),
        proptest::option::of((100u16..600, headers(), body())),
        proptest::collection::btree_map(text(), text(), 0..3),
    )
        .prop_map(
            |(id, ts, (method, url, headers, body), response, tags)| Exchange {
                id,
                ts,
                request: Request {
                    method,
                    url,
                    headers,
                    body,
                },
                response: response.map(|(status, headers, body)| Response {
                    status,
                    headers,
                    body,
                }),
                tags,
            },
        )
}

proptest! {
    #![proptest_config(proptest_config(48))]

    #[test]
    fn arbitrary_exchanges_round_trip(
        exchanges in proptest::collection::vec(arbitrary_exchange(), 1..6),
        compressed in any::<bool>(),
    ) {
        let dir = Project::new();
        let name = if compressed { "r.jsonl.zst" } else { "r.jsonl" };
        let path = dir.path().join(name);
        write_recording(&path, &exchanges);
        let back = read_recording(&path);
        prop_assert_eq!(&back, &exchanges);
        let again = dir.path().join(format!("again-{name}"));
        write_recording(&again, &back);
        prop_assert_eq!(fs::read(&path).unwrap(), fs::read(&again).unwrap());
    }
}
