//! Tables bigger than the CPU caches, made cheaper to update: an update's slot is prefetched
//! when the record arrives and written [`LOOKAHEAD`] records later, so the cache misses of
//! consecutive records overlap instead of queueing one after another; and such a table can
//! ask for 2 MB pages ([`os::advise_huge_pages`](crate::os::advise_huge_pages)), so its look-ups miss the TLB less often.

/// How many records an update trails its prefetch.
pub const LOOKAHEAD: usize = 16;

/// A ring of the last [`LOOKAHEAD`] updates: each push hands back the one now due.
#[derive(Debug, Clone, Copy)]
pub struct Deferred<T> {
    items: [T; LOOKAHEAD],
    queued: usize,
    next: usize,
}

impl<T: Copy + Default> Default for Deferred<T> {
    fn default() -> Self {
        Deferred {
            items: [T::default(); LOOKAHEAD],
            queued: 0,
            next: 0,
        }
    }
}

impl<T: Copy + Default> Deferred<T> {
    /// Queues `item` and returns the update pushed [`LOOKAHEAD`] pushes ago, if any.
    #[inline]
    pub fn push(&mut self, item: T) -> Option<T> {
        let at = self.next;
        let due = if self.queued == LOOKAHEAD {
            Some(self.items[at])
        } else {
            self.queued += 1;
            None
        };
        self.items[at] = item;
        self.next = (at + 1) % LOOKAHEAD;
        due
    }

    /// Takes every queued update, oldest first.
    pub fn drain(&mut self) -> impl Iterator<Item = T> + use<T> {
        let first = (self.next + LOOKAHEAD - self.queued) % LOOKAHEAD;
        let items = self.items;
        let queued = self.queued;
        self.queued = 0;
        self.next = 0;
        (0..queued).map(move |i| items[(first + i) % LOOKAHEAD])
    }

    /// Whether no update is waiting.
    pub fn is_empty(&self) -> bool {
        self.queued == 0
    }
}

/// Asks the CPU to bring `item`'s cache line in; a hint that never faults.
#[inline(always)]
pub fn prefetch<T>(item: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        let p = (item as *const T).cast::<i8>();
        // SAFETY: prefetching is a hint that reads nothing and never faults; `p` comes from
        // a reference, so it is a valid address anyway.
        unsafe { std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = item;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_come_back_in_order_after_the_lookahead() {
        let mut ring = Deferred::<u32>::default();
        assert!(ring.is_empty());
        let due: Vec<Option<u32>> = (0..LOOKAHEAD as u32 + 3).map(|i| ring.push(i)).collect();
        assert!(due[..LOOKAHEAD].iter().all(Option::is_none));
        assert_eq!(&due[LOOKAHEAD..], &[Some(0), Some(1), Some(2)]);
        let rest: Vec<u32> = ring.drain().collect();
        assert_eq!(rest, (3..LOOKAHEAD as u32 + 3).collect::<Vec<_>>());
        assert!(ring.is_empty());
        assert_eq!(ring.push(7), None);
        assert_eq!(ring.drain().collect::<Vec<_>>(), vec![7]);
    }
}
