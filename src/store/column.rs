//! A column of 64-bit values stored in 32 bits while they fit: packet and byte counts, record
//! times and source positions need 64 bits in general, but within one segment they almost
//! always lie within 4 G of one another. Narrow columns hold a third of a record's bytes
//! less, so the same memory budget keeps more records, and ingest maps fewer fresh pages.

/// Where a narrow column's values are counted from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base {
    /// Zero: counters, small however far apart.
    Zero,
    /// Half the narrow range below the first value: times and offsets, which cluster
    /// around the first one in either direction.
    AroundFirst,
}

/// 64-bit values, kept as 32-bit offsets from a base until one does not fit; from then on
/// (for the rest of the column's life) as they are.
#[derive(Debug, Clone)]
pub enum U64Column {
    /// Every value is `base + offset`.
    Narrow {
        /// How the base is chosen.
        kind: Base,
        /// The base (set by the first value for [`Base::AroundFirst`]).
        base: u64,
        /// The offsets.
        offsets: Vec<u32>,
    },
    /// Values as they are.
    Wide(Vec<u64>),
}

impl Default for U64Column {
    fn default() -> Self {
        U64Column::new(Base::Zero)
    }
}

impl U64Column {
    /// An empty, narrow column.
    pub fn new(kind: Base) -> U64Column {
        U64Column::Narrow {
            kind,
            base: 0,
            offsets: Vec::new(),
        }
    }

    /// Values held.
    pub fn len(&self) -> usize {
        match self {
            U64Column::Narrow { offsets, .. } => offsets.len(),
            U64Column::Wide(v) => v.len(),
        }
    }

    /// Whether it holds no value.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Makes room for `n` more values.
    pub fn reserve_exact(&mut self, n: usize) {
        match self {
            U64Column::Narrow { offsets, .. } => offsets.reserve_exact(n),
            U64Column::Wide(v) => v.reserve_exact(n),
        }
    }

    /// Gives back unused capacity.
    pub fn shrink_to_fit(&mut self) {
        match self {
            U64Column::Narrow { offsets, .. } => offsets.shrink_to_fit(),
            U64Column::Wide(v) => v.shrink_to_fit(),
        }
    }

    /// Appends `value`.
    #[inline]
    pub fn push(&mut self, value: u64) {
        match self {
            U64Column::Narrow {
                kind,
                base,
                offsets,
            } => {
                if offsets.is_empty() && *kind == Base::AroundFirst {
                    *base = value.saturating_sub(1 << 31);
                }
                match value.checked_sub(*base).and_then(|o| u32::try_from(o).ok()) {
                    Some(offset) => offsets.push(offset),
                    None => self.widen_and_push(value),
                }
            }
            U64Column::Wide(v) => v.push(value),
        }
    }

    #[cold]
    fn widen_and_push(&mut self, value: u64) {
        if let U64Column::Narrow { base, offsets, .. } = self {
            let mut wide = Vec::with_capacity(offsets.capacity().max(offsets.len() + 1));
            wide.extend(offsets.iter().map(|o| *base + u64::from(*o)));
            wide.push(value);
            *self = U64Column::Wide(wide);
        }
    }

    /// Value `i` (panics past the end, like indexing a slice).
    #[inline]
    pub fn get(&self, i: usize) -> u64 {
        match self {
            U64Column::Narrow { base, offsets, .. } => *base + u64::from(offsets[i]),
            U64Column::Wide(v) => v[i],
        }
    }

    /// Bytes a value takes.
    pub fn width(&self) -> usize {
        match self {
            U64Column::Narrow { .. } => 4,
            U64Column::Wide(_) => 8,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn values(c: &U64Column) -> Vec<u64> {
        (0..c.len()).map(|i| c.get(i)).collect()
    }

    #[test]
    fn counters_stay_narrow_up_to_u32_max_and_widen_past_it() {
        let mut c = U64Column::new(Base::Zero);
        c.reserve_exact(4);
        for v in [0, 7, u64::from(u32::MAX)] {
            c.push(v);
        }
        assert_eq!(c.width(), 4);
        c.push(u64::from(u32::MAX) + 1);
        assert_eq!(c.width(), 8);
        c.push(3);
        assert_eq!(values(&c), [0, 7, u64::from(u32::MAX), 1 << 32, 3]);
    }

    #[test]
    fn times_stay_narrow_on_both_sides_of_the_first() {
        let mut c = U64Column::new(Base::AroundFirst);
        for v in [1_700_000_000, 1_600_000_000, 1_800_000_000, 0] {
            c.push(v);
        }
        assert_eq!(
            c.width(),
            4,
            "within 2^31 of the first (0 is too, from 1.7e9)"
        );
        c.push(u64::MAX);
        assert_eq!(c.width(), 8);
        assert_eq!(
            values(&c),
            [1_700_000_000, 1_600_000_000, 1_800_000_000, 0, u64::MAX]
        );
        let mut first_small = U64Column::new(Base::AroundFirst);
        first_small.push(5);
        first_small.push(0);
        assert_eq!(values(&first_small), [5, 0]);
        assert_eq!(first_small.width(), 4);
    }

    proptest! {
        #[test]
        fn reads_back_what_was_pushed(
            around in any::<bool>(),
            vs in prop::collection::vec(
                prop_oneof![any::<u64>(), 0u64..1 << 33, 1_699_000_000u64..1_701_000_000],
                0..200,
            ),
        ) {
            let mut c = U64Column::new(if around { Base::AroundFirst } else { Base::Zero });
            for v in &vs {
                c.push(*v);
            }
            prop_assert_eq!(values(&c), vs);
        }
    }
}
