//! Any bytes as an input, opened as vpctop opens an object: sniffed as Parquet, gzip or
//! text, then framed and counted. Nothing panics, every line balances, and a Parquet file
//! counts the same read from its columns as read as the text it stands for. A panic of the
//! Parquet decoder that vpctop contains is that input's error, as in the program.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use vpctop::source::input::RemoteInput;
use vpctop::source::{InputSpec, Opened, open_rows_or_text};
#[cfg(feature = "parquet")]
use vpctop_fuzz::frame_rows;
use vpctop_fuzz::{Memory, classify_all, contain_like_vpctop, frame, v2};

fuzz_target!(|data: &[u8]| {
    // The parquet crate can panic on a damaged file; vpctop contains that as the input's
    // error (tests/parquet.rs holds such files), so here it must be an error too.
    contain_like_vpctop();
    let object: Arc<dyn RemoteInput> = Arc::new(Memory::new("s3://b/k", data.to_vec()));
    let spec = InputSpec::Remote(object);
    match open_rows_or_text(&spec, None) {
        Ok(Opened::Text(mut input)) => {
            let (chunks, _, _) = frame(&mut input.reader, v2(), 4096, false);
            classify_all(&chunks);
        }
        #[cfg(feature = "parquet")]
        Ok(Opened::Rows(mut rows)) => {
            let (chunks, rows_failed) = frame_rows(&mut rows);
            let from_rows = classify_all(&chunks);
            // The same file as text.
            let mut text = vpctop::source::open(&spec).expect("opened once, opens again");
            let (chunks, _, text_failed) = frame(&mut text.reader, v2(), 4096, false);
            let from_text = classify_all(&chunks);
            if !rows_failed && !text_failed {
                assert_eq!(
                    (
                        from_rows.lines,
                        from_rows.records,
                        from_rows.headers,
                        from_rows.malformed
                    ),
                    (
                        from_text.lines,
                        from_text.records,
                        from_text.headers,
                        from_text.malformed
                    ),
                    "rows and their text count differently"
                );
            }
        }
        Err(_) => {}
    }
});
