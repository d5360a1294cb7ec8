//! Fuzzes the readers of the snapshot of accepted differences (`shadowdiff.snap`) and of the
//! pending changes beside it (`shadowdiff.snap.new`), with the bytes as each. Laws: a snapshot
//! read and written again reads back as itself; pending changes read, written and read again
//! render the same; and the snapshot `shadowdiff accept` writes from them reads back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shadowdiff_report::{load_pending, pending_path, render_pending, Snapshot};

fuzz_target!(|data: &[u8]| {
    let path = shadowdiff_fuzz::write_input("shadowdiff.snap", data);
    shadowdiff_fuzz::write_input("shadowdiff.snap.new", data);
    let mut snapshot = match Snapshot::load(&path) {
        Ok(snapshot) => {
            let text = snapshot.render();
            match Snapshot::parse(&text, &path) {
                Ok(again) => assert_eq!(again, snapshot, "the saved snapshot reads back changed"),
                Err(err) => panic!("the saved snapshot does not read back: {err}\n{text}"),
            }
            snapshot
        }
        Err(err) => {
            shadowdiff_fuzz::assert_names(&err, &path);
            Snapshot {
                path: path.clone(),
                entries: Vec::new(),
            }
        }
    };
    let changes = match load_pending(&path) {
        Ok(changes) => changes,
        Err(err) => return shadowdiff_fuzz::assert_names(&err, &pending_path(&path)),
    };
    let text = render_pending(&changes);
    shadowdiff_fuzz::write_input("shadowdiff.snap.new", text.as_bytes());
    match load_pending(&path) {
        Ok(again) => assert_eq!(
            render_pending(&again),
            text,
            "pending changes read back changed"
        ),
        Err(err) => panic!("the written pending changes do not read back: {err}\n{text}"),
    }
    snapshot.apply(&changes, Some("fuzzed"));
    let text = snapshot.render();
    if let Err(err) = Snapshot::parse(&text, &path) {
        panic!("the accepted snapshot does not read back: {err}\n{text}");
    }
});
