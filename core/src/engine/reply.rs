//! Every reply goes to the module whose request it answers; an
//! authentication failure, whatever the request, ends the session first.

use crate::engine::Engine;
use crate::engine::fatal::auth_failure;
use crate::engine::sender::Pending;
use crate::input::{Outcome, RequestId};

impl Engine {
    pub(super) fn on_response(&mut self, id: RequestId, outcome: &Outcome) {
        self.sender.budget.replied(id.0, self.out.now);
        let Some(pending) = self.sender.inflight.remove(id.0) else {
            self.out.totals.unknown_replies += 1;
            self.out.warn(format!(
                "reply for r{} which is not in flight: ignored",
                id.0
            ));
            return;
        };
        if let Some((code, msg)) = auth_failure(outcome) {
            return self.fatal(crate::effect::Fatal::Auth { code, msg });
        }
        // Any parsed reply shows the exchange takes our credentials.
        self.sender.credentials_ok |= matches!(outcome, Outcome::Reply(_));
        if !matches!(pending, Pending::Orders(_)) {
            // Order commands handle 403 themselves (their orders re-queue).
            self.sender.pause_for_ip_limit(outcome, &mut self.out);
        }
        match pending {
            Pending::Orders(p) => self.apply_orders(id, p, outcome),
            Pending::Query(seq) => self.apply_query(id, seq, outcome),
            Pending::CancelAll(sym) => self.apply_cancel_all(id, sym, outcome),
            Pending::CancelOurs(sym) => self.apply_cancel_ours(id, sym, outcome),
            Pending::List(sym) => self.apply_list(id, sym, outcome),
            Pending::RecoveryList(sym) => self.apply_recovery_list(id, sym, outcome),
            Pending::RecoveryCancel(sym) => self.apply_recovery_cancel(id, sym, outcome),
        }
    }
}
