//! What differs between operating systems, in one place: a thread's scheduling priority
//! (Linux keeps the nice value per thread) and huge pages for a large table. Elsewhere each
//! does nothing; every caller must work the same without them.

/// The nice value [`lower_thread_priority`] sets.
pub const BACKGROUND_NICE: i32 = 10;

/// Lowers the calling thread's scheduling priority (nice 10), so that ingest and queries,
/// which can keep every core busy, never make the event loop wait for a core: a keypress is
/// drawn at once, and ingest loses nothing when nothing else wants the CPU. Threads the
/// caller spawns inherit it (Linux keeps the nice value per thread).
pub fn lower_thread_priority() {
    set_thread_nice(BACKGROUND_NICE);
}

/// Lowers the calling thread's scheduling priority by `steps` nice levels from where it is
/// (to 19 at most), so that a sibling thread left at the old priority gets a core first
/// when both want one. Threads it spawns inherit it; does nothing off Linux.
pub fn lower_thread_priority_by(steps: i32) {
    if let Some(nice) = thread_nice() {
        set_thread_nice((nice + steps).min(19));
    }
}

/// Sets the calling thread's nice value (Linux only; elsewhere, and where the OS refuses,
/// nothing happens).
fn set_thread_nice(nice: i32) {
    #[cfg(target_os = "linux")]
    // SAFETY: gettid and setpriority take no pointers; they only read and set this thread's
    // scheduling attribute, and a failure (e.g. a sandbox refusing it) is harmless.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        libc::setpriority(libc::PRIO_PROCESS, tid, nice);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = nice;
}

/// The calling thread's nice value, where the OS keeps one per thread.
pub fn thread_nice() -> Option<i32> {
    #[cfg(target_os = "linux")]
    // SAFETY: gettid and getpriority take no pointers and only read this thread's
    // scheduling attribute. getpriority may return -1 as a value, so errno is cleared first
    // and checked after (through std, which reads this thread's errno).
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        *libc::__errno_location() = 0;
        let nice = libc::getpriority(libc::PRIO_PROCESS, tid);
        if nice == -1 && std::io::Error::last_os_error().raw_os_error() != Some(0) {
            return None;
        }
        Some(nice)
    }
    #[cfg(not(target_os = "linux"))]
    None
}

/// Asks Linux to back the spare capacity of `v` with 2 MB pages when it is touched (call it
/// before filling `v`): a table of tens of MB then costs a TLB miss per lookup far less
/// often. Does nothing elsewhere, for small tables, or when the kernel says no.
pub fn advise_huge_pages<T>(v: &mut Vec<T>) {
    #[cfg(target_os = "linux")]
    {
        const PAGE: usize = 4096;
        let bytes = v.capacity() * std::mem::size_of::<T>();
        if bytes < 4 << 20 {
            return;
        }
        let start = v.as_mut_ptr() as usize;
        let aligned = start.next_multiple_of(PAGE);
        let len = (bytes - (aligned - start)) & !(PAGE - 1);
        // SAFETY: the range lies inside `v`'s allocation (page-aligned inwards), and
        // MADV_HUGEPAGE only changes how the kernel backs it, never its contents.
        unsafe {
            libc::madvise(aligned as *mut libc::c_void, len, libc::MADV_HUGEPAGE);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = v;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn lowering_by_steps_counts_from_the_threads_own_priority() {
        let (before, after) = std::thread::spawn(|| {
            let before = thread_nice().expect("getpriority works on Linux");
            lower_thread_priority_by(3);
            (before, thread_nice().expect("getpriority works on Linux"))
        })
        .join()
        .unwrap();
        assert_eq!(after, (before + 3).min(19));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_lowered_thread_and_the_threads_it_spawns_run_at_background_priority() {
        let caller = thread_nice();
        let (before, own, child) = std::thread::spawn(|| {
            let before = thread_nice().expect("getpriority works on Linux");
            lower_thread_priority();
            let own = thread_nice().expect("getpriority works on Linux");
            let child = std::thread::spawn(thread_nice).join().unwrap();
            (before, own, child)
        })
        .join()
        .unwrap();
        // Without privileges nice only goes up: a thread already nicer than 10 stays so.
        if before <= BACKGROUND_NICE {
            assert_eq!(own, BACKGROUND_NICE);
        } else {
            assert!(own >= BACKGROUND_NICE, "nice {own}");
        }
        assert_eq!(child, Some(own), "spawned threads inherit the nice value");
        assert_eq!(thread_nice(), caller, "other threads keep theirs");
    }

    #[test]
    fn huge_page_advice_leaves_the_vector_usable() {
        for len in [10usize, 3 << 20] {
            let mut v: Vec<u16> = Vec::with_capacity(len);
            advise_huge_pages(&mut v);
            v.extend((0..len).map(|i| i as u16));
            assert_eq!(v.len(), len);
            assert!(v.iter().enumerate().all(|(i, x)| *x == i as u16));
        }
    }
}
