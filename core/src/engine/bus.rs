//! The command bus: queued order commands, per operation, in a stable order
//! (symbol, side, level, seq), split into what may travel in a batch and
//! what must go as single-order requests (legacy mode, coalescing off for
//! that operation, or a batch that failed as a whole and falls back).
//!
//! Forming a batch takes the head command's group (its category, or its
//! symbol with `coalesce_scope = "symbol"`) and the next commands of the same
//! group in order, up to the size the caller allows (batch limit, budget).

use std::collections::BTreeSet;

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

#[derive(Default)]
pub(super) struct Bus {
    batch: [BTreeSet<Key>; 3],
    single: [BTreeSet<Key>; 3],
}

impl Bus {
    pub(super) fn push(&mut self, op: Op, key: Key, single: bool) {
        let i = op_index(op);
        if single {
            self.single[i].insert(key);
        } else {
            self.batch[i].insert(key);
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.batch.iter().all(BTreeSet::is_empty) && self.single.iter().all(BTreeSet::is_empty)
    }

    pub(super) fn has(&self, op: Op) -> bool {
        let i = op_index(op);
        !self.batch[i].is_empty() || !self.single[i].is_empty()
    }

    pub(super) fn first_single(&self, op: Op) -> Option<Key> {
        self.single[op_index(op)].first().copied()
    }

    pub(super) fn first_batch(&self, op: Op) -> Option<Key> {
        self.batch[op_index(op)].first().copied()
    }

    pub(super) fn take_single(&mut self, op: Op) -> Option<Key> {
        self.single[op_index(op)].pop_first()
    }

    /// Up to `max` batchable commands of the head's group, in order.
    pub(super) fn take_batch<G: PartialEq>(
        &mut self,
        op: Op,
        max: usize,
        group: impl Fn(&Key) -> G,
    ) -> Vec<Key> {
        let set = &mut self.batch[op_index(op)];
        let Some(head) = set.first() else {
            return Vec::new();
        };
        let g = group(head);
        let keys: Vec<Key> = set
            .iter()
            .filter(|k| group(k) == g)
            .take(max)
            .copied()
            .collect();
        for k in &keys {
            set.remove(k);
        }
        keys
    }

    /// Removes every queued command of `op` (stale drop, shutdown).
    pub(super) fn drain(&mut self, op: Op) -> Vec<Key> {
        let i = op_index(op);
        let mut keys: Vec<Key> = std::mem::take(&mut self.batch[i]).into_iter().collect();
        keys.extend(std::mem::take(&mut self.single[i]));
        keys
    }
}
