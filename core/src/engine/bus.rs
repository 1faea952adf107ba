//! The command bus: queued order commands, per operation, in a stable order
//! (symbol, side, level, seq), split into what may travel in a batch and
//! what must go as single-order requests (legacy mode, coalescing off for
//! that operation, or a batch that failed as a whole and falls back).
//!
//! Forming a batch takes the head command's group (its category, or its
//! symbol with `coalesce_scope = "symbol"`) and the next commands of the same
//! group in order, up to the size the caller allows (batch limit, budget).
//!
//! Thinning: when the rate budget cannot carry every queued command of an
//! operation, the scarce units go to the commands first in *priority* order
//! (level, symbol, side, seq): level 0 bid and ask of every symbol, then
//! level 1 of every symbol, and so on. Only the `units` best commands are
//! eligible; a batch starts from the best one and takes the eligible
//! commands of its group, still in queue order. With room for everything the
//! queue order alone decides, exactly as before.

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

/// A packed key re-ordered for thinning: level (7 bits), symbol (24), side
/// (1), then the seq (96), so integer order is (level, symbol, side, seq).
fn priority(p: Packed) -> u128 {
    let sym = (p >> 104) & 0xFF_FFFF;
    let side = (p >> 103) & 1;
    let level = (p >> 96) & 127;
    level << 121 | sym << 97 | side << 96 | (p & ((1u128 << 96) - 1))
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

    fn len(&self) -> usize {
        self.items.len()
    }

    /// Position of the command with the best priority.
    fn best(&self) -> Option<usize> {
        (0..self.items.len()).min_by_key(|i| priority(self.items[*i]))
    }

    /// The priority of the `k`-th best command (1-based): the commands with
    /// a priority up to it are the `k` that a budget of `k` units carries.
    fn cutoff(&self, k: usize) -> u128 {
        let mut all: Vec<u128> = self.items.iter().map(|p| priority(*p)).collect();
        let k = k.clamp(1, all.len().max(1));
        let (_, nth, _) = all.select_nth_unstable(k - 1);
        *nth
    }

    fn take_all(&mut self) -> Vec<Packed> {
        self.sort();
        std::mem::take(&mut self.items).into()
    }
}

/// A command taken out of its queue for a while (see `park`).
pub(super) struct Parked {
    single: bool,
    key: Packed,
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

    /// The next single-order command for a budget of `units` requests: the
    /// queue's head, or (when `units` cannot carry the whole queue) the
    /// command with the best priority.
    pub(super) fn take_single(&mut self, op: Op, units: usize) -> Option<Key> {
        let q = &mut self.single[op_index(op)];
        if units >= q.len() {
            return q.pop_first().map(unpack);
        }
        q.sort();
        let i = q.best()?;
        q.items.remove(i).map(unpack)
    }

    /// Batchable commands queued for `op`.
    pub(super) fn batch_len(&self, op: Op) -> usize {
        self.batch[op_index(op)].len()
    }

    /// The batchable command with the best priority (thinning's head).
    pub(super) fn best_batch(&mut self, op: Op) -> Option<Key> {
        let q = &mut self.batch[op_index(op)];
        q.sort();
        q.best().and_then(|i| q.items.get(i).copied()).map(unpack)
    }

    /// Thinning: the eligible set for a budget of `k` orders, `k` smaller
    /// than the queue (see `take_thinned`).
    pub(super) fn cutoff(&self, op: Op, k: usize) -> u128 {
        self.batch[op_index(op)].cutoff(k)
    }

    /// Up to `max` batchable commands of `head`'s group whose priority is
    /// within `cutoff`, in queue order. `head` must be the best command.
    pub(super) fn take_thinned<G: PartialEq>(
        &mut self,
        op: Op,
        max: usize,
        head: Key,
        cutoff: u128,
        group: impl Fn(&Key) -> G,
    ) -> Vec<Seq> {
        let q = &mut self.batch[op_index(op)];
        q.sort();
        let g = group(&head);
        let mut keys: Vec<Seq> = Vec::with_capacity(max.min(q.items.len()));
        q.items.retain(|p| {
            if keys.len() < max && priority(*p) <= cutoff {
                let key = unpack(*p);
                if group(&key) == g {
                    keys.push(key.seq);
                    return false;
                }
            }
            true
        });
        keys
    }

    /// Up to `max` batchable commands of the head's group, in order (their
    /// order handles).
    /// `contiguous`: the group's commands are known to sit together (a
    /// symbol's always do: keys sort by symbol first), so nothing past the
    /// front run needs looking at.
    pub(super) fn take_batch<G: PartialEq>(
        &mut self,
        op: Op,
        max: usize,
        contiguous: bool,
        group: impl Fn(&Key) -> G,
    ) -> Vec<Seq> {
        let q = &mut self.batch[op_index(op)];
        let Some(head) = q.first() else {
            return Vec::new();
        };
        let g = group(&unpack(head));
        // The common case: the group is the front of the queue (one
        // category, or one symbol's run): pop it, no search.
        let mut keys: Vec<Seq> = Vec::with_capacity(max.min(q.items.len()));
        while keys.len() < max && q.items.front().is_some_and(|k| group(&unpack(*k)) == g) {
            keys.extend(q.items.pop_front().map(|p| unpack(p).seq));
        }
        // Otherwise (categories interleaved by symbol) pick the rest out.
        if keys.len() < max && !contiguous {
            let mut room = max - keys.len();
            q.items.retain(|k| {
                let key = unpack(*k);
                if room > 0 && group(&key) == g {
                    room -= 1;
                    keys.push(key.seq);
                    false
                } else {
                    true
                }
            });
        }
        keys
    }

    /// Takes the queued commands of `op` that `keep` refuses out of the
    /// queues (visited in queue order), to be put back by `unpark`.
    pub(super) fn park(&mut self, op: Op, mut keep: impl FnMut(&Key) -> bool) -> Vec<Parked> {
        let i = op_index(op);
        let mut parked = Vec::new();
        for (single, q) in [(false, &mut self.batch[i]), (true, &mut self.single[i])] {
            q.sort();
            q.items.retain(|p| {
                if keep(&unpack(*p)) {
                    true
                } else {
                    parked.push(Parked { single, key: *p });
                    false
                }
            });
        }
        parked
    }

    pub(super) fn unpark(&mut self, op: Op, parked: Vec<Parked>) {
        let i = op_index(op);
        for p in parked {
            if p.single {
                self.single[i].push(p.key);
            } else {
                self.batch[i].push(p.key);
            }
        }
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
        let mut by_priority = keys.clone();
        by_priority.sort_by_key(|k| (k.level, k.sym, k.side, k.seq));
        let mut by_packed_priority = keys;
        by_packed_priority.sort_by_key(|k| priority(pack(k)));
        assert_eq!(by_priority, by_packed_priority);
    }

    #[test]
    fn thinning_takes_the_innermost_levels_of_every_symbol() {
        let mut bus = Bus::default();
        let mut n = 0;
        for sym in 0..4u32 {
            for side in [Side::Buy, Side::Sell] {
                for level in 0..5u32 {
                    n += 1;
                    let seq = Seq::from_parts(n, 0);
                    bus.push(
                        Op::Place,
                        Key {
                            sym,
                            side,
                            level,
                            seq,
                        },
                        false,
                    );
                }
            }
        }
        let head = bus.best_batch(Op::Place).unwrap_or(Key {
            sym: 9,
            side: Side::Buy,
            level: 9,
            seq: Seq::from_parts(0, 0),
        });
        assert_eq!((head.sym, head.side, head.level), (0, Side::Buy, 0));
        let cutoff = bus.cutoff(Op::Place, 10);
        let seqs = bus.take_thinned(Op::Place, 20, head, cutoff, |_| ());
        // Seq n was numbered 1.. in (sym, side, level) order, 5 levels.
        let got: Vec<(u32, Side, u32)> = seqs
            .iter()
            .map(|s| {
                let i = (s.n - 1) as u32;
                let side = if (i / 5).is_multiple_of(2) {
                    Side::Buy
                } else {
                    Side::Sell
                };
                (i / 10, side, i % 5)
            })
            .collect();
        let mut want = Vec::new();
        for sym in 0..4u32 {
            for side in [Side::Buy, Side::Sell] {
                for level in 0..2u32 {
                    if level == 0 || sym == 0 {
                        want.push((sym, side, level));
                    }
                }
            }
        }
        assert_eq!(
            got, want,
            "level 0 of all, then level 1 from symbol 0, queue order"
        );
        assert_eq!(bus.batch_len(Op::Place), 30);
    }
}
