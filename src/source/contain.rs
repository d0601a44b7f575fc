//! Containing a panic in a third-party decoder fed untrusted bytes (the `parquet` crate can
//! panic on a damaged footer): it becomes an error of that input, and neither ends the
//! process nor, through a panic hook, restores the terminal under a running dashboard.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};

thread_local! {
    static CONTAINED: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f`; a panic inside it is returned as its message. While it runs, panic hooks that
/// ask [`is_contained`] stay quiet.
pub fn contained<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    let before = CONTAINED.with(|c| c.replace(true));
    let result = catch_unwind(AssertUnwindSafe(f));
    CONTAINED.with(|c| c.set(before));
    result.map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".to_string())
    })
}

/// Whether the current thread is inside [`contained`]: a panic hook should then neither
/// print nor touch the terminal.
pub fn is_contained() -> bool {
    CONTAINED.with(Cell::get)
}

/// Installs (once) a panic hook that keeps contained panics quiet and passes every other
/// panic to the hook installed before it.
pub fn quiet_contained_panics() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !is_contained() {
                previous(info);
            }
        }));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_contained_panic_is_an_error_and_the_flag_is_restored() {
        quiet_contained_panics();
        assert_eq!(contained(|| 7), Ok(7));
        let err = contained(|| -> u32 { panic!("bad footer") }).unwrap_err();
        assert_eq!(err, "bad footer");
        assert!(!is_contained());
        let nested = contained(|| {
            let inner = contained(is_contained);
            (inner, is_contained())
        });
        assert_eq!(nested, Ok((Ok(true), true)));
    }
}
