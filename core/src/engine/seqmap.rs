//! A map from increasing integer keys (order counters, request ids) to
//! values, kept in key order: a deque sorted by key where an insert of a key
//! larger than every other is a push at the back, a lookup a binary search,
//! and a removal leaves a tombstone (popped once it reaches the front,
//! compacted away when tombstones outnumber live entries). Iteration is in
//! key order, like the `BTreeMap` it replaces, without a tree node to
//! allocate or free per entry.

use std::collections::VecDeque;

pub(super) struct SeqMap<V> {
    items: VecDeque<(u64, Option<V>)>,
    live: usize,
}

impl<V> Default for SeqMap<V> {
    fn default() -> Self {
        SeqMap {
            items: VecDeque::new(),
            live: 0,
        }
    }
}

impl<V> SeqMap<V> {
    fn position(&self, key: u64) -> Result<usize, usize> {
        // Keys are almost always appended in order: check the back first.
        let (first, last) = match (self.items.front(), self.items.back()) {
            (Some(f), Some(l)) => (f.0, l.0),
            _ => return Err(0),
        };
        if last < key {
            return Err(self.items.len());
        }
        // Keys are nearly dense (consecutive counters, tombstones kept in
        // place until compaction): try the key's own offset first.
        if let Some(i) = key.checked_sub(first).and_then(|d| usize::try_from(d).ok())
            && self.items.get(i).is_some_and(|e| e.0 == key)
        {
            return Ok(i);
        }
        self.items.binary_search_by_key(&key, |e| e.0)
    }

    /// Inserts or replaces.
    pub(super) fn insert(&mut self, key: u64, value: V) {
        match self.position(key) {
            Ok(i) => {
                if self.items[i].1.is_none() {
                    self.live += 1;
                }
                self.items[i].1 = Some(value);
            }
            Err(i) => {
                if i == self.items.len() {
                    self.items.push_back((key, Some(value)));
                } else {
                    self.items.insert(i, (key, Some(value)));
                }
                self.live += 1;
            }
        }
    }

    pub(super) fn get(&self, key: u64) -> Option<&V> {
        let i = self.position(key).ok()?;
        self.items[i].1.as_ref()
    }

    pub(super) fn remove(&mut self, key: u64) -> Option<V> {
        let i = self.position(key).ok()?;
        let value = self.items[i].1.take()?;
        self.live -= 1;
        while self.items.front().is_some_and(|e| e.1.is_none()) {
            self.items.pop_front();
        }
        if self.items.len() > 2 * self.live + 64 {
            self.items.retain(|e| e.1.is_some());
        }
        Some(value)
    }

    pub(super) fn len(&self) -> usize {
        self.live
    }

    pub(super) fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Live entries in key order.
    pub(super) fn iter(&self) -> impl Iterator<Item = (u64, &V)> {
        self.items
            .iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| (*k, v)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn behaves_like_a_btreemap() {
        let mut ours: SeqMap<u64> = SeqMap::default();
        let mut theirs: BTreeMap<u64, u64> = BTreeMap::new();
        // A deterministic mix: mostly increasing inserts, removals anywhere,
        // an occasional out-of-order insert.
        let mut x: u64 = 12_345;
        let mut next = 1u64;
        for step in 0..20_000u64 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let r = x >> 33;
            match r % 7 {
                0..=2 => {
                    ours.insert(next, step);
                    theirs.insert(next, step);
                    next += 1 + r % 3;
                }
                3 => {
                    let k = r % (next + 1);
                    ours.insert(k, step);
                    theirs.insert(k, step);
                }
                _ => {
                    let k = r % (next + 1);
                    assert_eq!(ours.remove(k), theirs.remove(&k));
                }
            }
            let k = r % (next + 2);
            assert_eq!(ours.get(k), theirs.get(&k));
            assert_eq!(ours.len(), theirs.len());
            if step % 1000 == 0 {
                let a: Vec<(u64, u64)> = ours.iter().map(|(k, v)| (k, *v)).collect();
                let b: Vec<(u64, u64)> = theirs.iter().map(|(k, v)| (*k, *v)).collect();
                assert_eq!(a, b);
            }
        }
        assert_eq!(ours.is_empty(), theirs.is_empty());
    }
}
