//! The command bus: queued order commands, per operation, in a stable order
//! (symbol, side, level, seq), split into what may travel in a batch and
//! what must go as single-order requests (legacy mode, coalescing off for
//! that operation, or a batch that failed as a whole and falls back).
//!
//! Forming a batch takes the head command's group (its category, or its
//! symbol with `coalesce_scope = "symbol"`) and the next commands of the same
//! group in order, up to the size the caller allows (batch limit, budget).

use std::collections::VecDeque;

use crate::domain::Side;
use crate::effect::{Endpoint, Op};
use crate::engine::orders::Seq;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Key {
    pub(super) sym: u32,
    pub(super) side: Side,
    pub(super) level: u32,
    pub(super) seq: Seq,
}

pub(super) fn op_index(op: Op) -> usize {
    match op {
        Op::Cancel => 0,
        Op::Amend => 1,
        Op::Place => 2,
    }
}

pub(super) fn batch_endpoint(op: Op) -> Endpoint {
    match op {
        Op::Cancel => Endpoint::CancelBatch,
        Op::Amend => Endpoint::AmendBatch,
        Op::Place => Endpoint::CreateBatch,
    }
}

pub(super) fn single_endpoint(op: Op) -> Endpoint {
    match op {
        Op::Cancel => Endpoint::Cancel,
        Op::Amend => Endpoint::Amend,
        Op::Place => Endpoint::Create,
    }
}

/// A key packed into one integer that sorts exactly like `Key` (symbol 24
/// bits, side 1, level 7, counter 64, slot 32): a queue of ten thousand
/// commands compares integers, not structs.
type Packed = u128;

fn pack(k: &Key) -> Packed {
    let sym = u128::from(k.sym.min((1 << 24) - 1));
    let side = u128::from(matches!(k.side, Side::Sell));
    let level = u128::from(k.level.min(127));
    sym << 104 | side << 103 | level << 96 | u128::from(k.seq.n) << 32 | u128::from(k.seq.slot())
}

fn unpack(p: Packed) -> Key {
    Key {
        sym: (p >> 104) as u32,
        side: if (p >> 103) & 1 == 1 {
            Side::Sell
        } else {
            Side::Buy
        },
        level: ((p >> 96) & 127) as u32,
        seq: Seq::from_parts((p >> 32) as u64, p as u32),
    }
}

/// A queue kept in key order lazily: commands arrive almost sorted (a tick
/// decides them symbol by symbol), so appending and sorting once on first
/// read beats a tree insert per command.
#[derive(Default)]
struct Queue {
    items: VecDeque<Packed>,
    unsorted: bool,
}

impl Queue {
    fn push(&mut self, p: Packed) {
        if self.items.back().is_some_and(|last| p < *last) {
            self.unsorted = true;
        }
        self.items.push_back(p);
    }

    fn sort(&mut self) {
        if self.unsorted {
            self.items.make_contiguous().sort_unstable();
            self.unsorted = false;
        }
    }

    fn first(&mut self) -> Option<Packed> {
        self.sort();
        self.items.front().copied()
    }

    fn pop_first(&mut self) -> Option<Packed> {
        self.sort();
        self.items.pop_front()
    }

    fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    fn take_all(&mut self) -> Vec<Packed> {
        self.sort();
        std::mem::take(&mut self.items).into()
    }
}

#[derive(Default)]
pub(super) struct Bus {
    batch: [Queue; 3],
    single: [Queue; 3],
}

impl Bus {
    pub(super) fn push(&mut self, op: Op, key: Key, single: bool) {
        let i = op_index(op);
        if single {
            self.single[i].push(pack(&key));
        } else {
            self.batch[i].push(pack(&key));
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.batch.iter().all(Queue::is_empty) && self.single.iter().all(Queue::is_empty)
    }

    pub(super) fn has(&self, op: Op) -> bool {
        let i = op_index(op);
        !self.batch[i].is_empty() || !self.single[i].is_empty()
    }

    pub(super) fn first_single(&mut self, op: Op) -> Option<Key> {
        self.single[op_index(op)].first().map(unpack)
    }

    pub(super) fn first_batch(&mut self, op: Op) -> Option<Key> {
        self.batch[op_index(op)].first().map(unpack)
    }

    pub(super) fn take_single(&mut self, op: Op) -> Option<Key> {
        self.single[op_index(op)].pop_first().map(unpack)
    }

    /// Up to `max` batchable commands of the head's group, in order.
    /// `contiguous`: the group's commands are known to sit together (a
    /// symbol's always do: keys sort by symbol first), so nothing past the
    /// front run needs looking at.
    pub(super) fn take_batch<G: PartialEq>(
        &mut self,
        op: Op,
        max: usize,
        contiguous: bool,
        group: impl Fn(&Key) -> G,
    ) -> Vec<Key> {
        let q = &mut self.batch[op_index(op)];
        let Some(head) = q.first() else {
            return Vec::new();
        };
        let g = group(&unpack(head));
        // The common case: the group is the front of the queue (one
        // category, or one symbol's run): pop it, no search.
        let mut keys: Vec<Key> = Vec::with_capacity(max.min(q.items.len()));
        while keys.len() < max && q.items.front().is_some_and(|k| group(&unpack(*k)) == g) {
            keys.extend(q.items.pop_front().map(unpack));
        }
        // Otherwise (categories interleaved by symbol) pick the rest out.
        if keys.len() < max && !contiguous {
            let mut room = max - keys.len();
            q.items.retain(|k| {
                let key = unpack(*k);
                if room > 0 && group(&key) == g {
                    room -= 1;
                    keys.push(key);
                    false
                } else {
                    true
                }
            });
        }
        keys
    }

    /// Removes every queued command of `op` (stale drop, shutdown).
    pub(super) fn drain(&mut self, op: Op) -> Vec<Key> {
        let i = op_index(op);
        let mut keys: Vec<Key> = self.batch[i].take_all().into_iter().map(unpack).collect();
        keys.extend(self.single[i].take_all().into_iter().map(unpack));
        keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_keys_sort_and_round_trip_like_keys() {
        let mut keys = Vec::new();
        for sym in [0u32, 1, 7, 499, (1 << 24) - 1] {
            for side in [Side::Buy, Side::Sell] {
                for level in [0u32, 1, 49] {
                    for (n, slot) in [(1u64, 0u32), (2, 9), (u64::MAX, u32::MAX)] {
                        keys.push(Key {
                            sym,
                            side,
                            level,
                            seq: Seq::from_parts(n, slot),
                        });
                    }
                }
            }
        }
        let mut by_key = keys.clone();
        by_key.sort();
        let mut by_packed = keys.clone();
        by_packed.sort_by_key(pack);
        assert_eq!(by_key, by_packed);
        assert!(keys.iter().all(|k| unpack(pack(k)) == *k));
    }
}
