//! Spent orderLinkIds, with bounded memory.
//!
//! Bybit says an orderLinkId is "always unique" and documents no window. The simulator refuses
//! an id while its order is open (the engine's open index) or while it is among the account's
//! most recent [`SPENT_KEPT`] spent ids; an older ended id is forgotten, so a long session
//! keeps flat memory. A client never depends on that: its retries come within seconds.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Spent ids remembered per account: a create retried within its recv window (seconds) is
/// always caught, even at thousands of new ids per second.
pub(crate) const SPENT_KEPT: usize = 10_000;

/// One account's most recent spent ids, oldest first, and the same ids for lookup.
#[derive(Debug, Default)]
struct Recent {
    order: VecDeque<String>,
    set: BTreeSet<String>,
}

#[derive(Debug, Default)]
pub(crate) struct SpentLinks {
    by_account: BTreeMap<usize, Recent>,
}

impl SpentLinks {
    pub(crate) fn contains(&self, account: usize, link: &str) -> bool {
        self.by_account
            .get(&account)
            .is_some_and(|r| r.set.contains(link))
    }

    /// Records `link` as spent, forgetting the account's oldest id beyond the bound.
    pub(crate) fn spend(&mut self, account: usize, link: &str) {
        let r = self.by_account.entry(account).or_default();
        if !r.set.insert(link.to_string()) {
            return;
        }
        r.order.push_back(link.to_string());
        if r.order.len() > SPENT_KEPT
            && let Some(old) = r.order.pop_front()
        {
            r.set.remove(&old);
        }
    }

    /// Ids remembered over all accounts.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.by_account.values().map(|r| r.order.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_the_most_recent_per_account() {
        let mut s = SpentLinks::default();
        for i in 0..SPENT_KEPT + 5 {
            s.spend(0, &format!("a-{i}"));
        }
        s.spend(1, "a-0");
        assert_eq!(s.len(), SPENT_KEPT + 1);
        assert!(!s.contains(0, "a-4"), "oldest forgotten");
        assert!(s.contains(0, "a-5"));
        assert!(s.contains(0, &format!("a-{}", SPENT_KEPT + 4)));
        assert!(s.contains(1, "a-0"), "accounts are separate");
        s.spend(0, "a-5");
        assert_eq!(s.len(), SPENT_KEPT + 1, "a repeat is not stored twice");
    }
}
