//! Commands in doubt: what core may decide on its own about an order whose
//! command was sent, and what only the exchange can say.
//!
//! The rule: an order whose command may have been applied (a request that
//! carried it was answered ambiguously: HTTP 5xx or an unclear status, then
//! re-sent) is never declared gone, and its command never declared refused,
//! without the exchange's word. Where core would drop or withdraw it (stale
//! at the tick deadline, shutdown) or the re-send is refused, it becomes
//! `Unknown` and an open-orders query by orderLinkId settles it.
//!
//! Answers that are the exchange's word that a request was NOT applied do
//! not raise a doubt (an earlier doubt stays): 10006 / HTTP 429 (rate
//! limited, refused before processing), HTTP 403 (IP limit, refused at the
//! gateway), a batch's top-level error retCode (the request was refused as a
//! whole) and HTTP 400 / 401 / 404 (see `http_not_applied`).

use crate::effect::Op;
use crate::engine::market::Market;
use crate::engine::orders::{Ambiguous, OrderTable, Seq, State};
use crate::engine::out::Out;
use crate::engine::settle::Settle;

/// HTTP statuses that mean the request never reached a matching engine:
/// 400 (malformed request), 401 (authentication) and 404 (no such path) are
/// answered by Bybit's gateway before any order logic runs. Every other
/// status (408 request timeout, a proxy's 4xx, 5xx...) may come after the
/// request was applied, so it is ambiguous.
pub(super) fn http_not_applied(status: u16) -> bool {
    matches!(status, 400 | 401 | 404)
}

/// What became of a queued command core withdrew.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Withdrawn {
    /// Never applied: a create is gone, an amend or cancel leaves it Live.
    Dropped,
    /// Maybe applied: the order is Unknown and being settled.
    Unknown,
}

impl OrderTable {
    /// Whether `seq`'s current command may have been applied already.
    pub(super) fn in_doubt(&self, seq: Seq) -> bool {
        self.get(seq).is_some_and(|o| o.in_doubt)
    }

    /// Marks the orders of a request answered ambiguously (then re-sent).
    pub(super) fn raise_doubt(&mut self, seqs: &[Seq]) {
        for &seq in seqs {
            if let Some(o) = self.get_mut(seq) {
                o.in_doubt = true;
            }
        }
    }

    /// Only the exchange can say what became of `seq`'s `op`: the order is
    /// `Unknown` and an open-orders query will settle it.
    pub(super) fn make_unknown(&mut self, seq: Seq, op: Op, settle: &mut Settle, out: &mut Out) {
        let Some(o) = self.get_mut(seq) else {
            return;
        };
        o.state = State::Unknown(match op {
            Op::Place => Ambiguous::Create,
            Op::Amend => Ambiguous::Amend,
            Op::Cancel => Ambiguous::Cancel,
        });
        out.totals.unknowns += 1;
        settle.add(seq, out.now);
    }

    /// Withdraws a queued (not in flight) command of `op` for `seq`: a create
    /// never sent (or refused each time) is gone with `reason`; an amend or
    /// cancel that never applied leaves the order Live as it was; a command
    /// in doubt makes the order Unknown instead.
    pub(super) fn withdraw(
        &mut self,
        op: Op,
        seq: Seq,
        reason: &'static str,
        settle: &mut Settle,
        market: &Market,
        out: &mut Out,
    ) -> Withdrawn {
        if self.in_doubt(seq) {
            self.make_unknown(seq, op, settle, out);
            return Withdrawn::Unknown;
        }
        match op {
            Op::Place => self.gone(seq, reason, "", settle, market, out),
            Op::Amend | Op::Cancel => {
                if let Some(o) = self.get_mut(seq) {
                    o.state = State::Live;
                }
            }
        }
        Withdrawn::Dropped
    }
}
