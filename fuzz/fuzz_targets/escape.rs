//! Escaping text from logs for the terminal: no control character or bidirectional override
//! survives, plain text passes through untouched, and a cut is a prefix of the whole.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vpctop_fuzz::assert_printable;

fuzz_target!(|data: &[u8]| {
    let all = vpctop::sanitize::escape(data);
    assert_printable(&all);
    // Plain printable text passes through untouched.
    if let Ok(text) = std::str::from_utf8(data)
        && !text
            .chars()
            .any(|c| vpctop::sanitize::is_unsafe(c) || c == '\\')
    {
        assert_eq!(all, text);
    }
    let max = usize::from(data.first().copied().unwrap_or(0));
    let cut = vpctop::sanitize::escape_limited(data, max);
    assert_printable(&cut);
    // A cut is a prefix of the full escape, marked with `…`.
    match cut.strip_suffix('…') {
        Some(prefix) if cut != all => assert!(all.starts_with(prefix), "{cut:?} / {all:?}"),
        _ => assert_eq!(cut, all),
    }
});
