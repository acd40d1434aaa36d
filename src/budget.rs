//! `--max-memory`: admission control for decoded pixels in flight.
//!
//! The bounded channels cap how many *tasks* wait; this caps how many bytes
//! the workers hold at once. A worker asks for the estimate of one image
//! (known from its header, before any pixel buffer exists) and waits until
//! that much of the budget is free, so 16 workers over 100-megapixel
//! panoramas queue up instead of getting the process killed.

use std::sync::{Condvar, Mutex, PoisonError};

use crate::error::FileError;

/// A byte budget shared by every worker of a run.
#[derive(Debug)]
pub(crate) struct Budget {
    limit: u64,
    used: Mutex<u64>,
    freed: Condvar,
}

impl Budget {
    /// A budget of `limit` bytes.
    pub fn new(limit: u64) -> Self {
        Budget { limit, used: Mutex::new(0), freed: Condvar::new() }
    }

    /// Bytes currently reserved.
    #[cfg(test)]
    fn used(&self) -> u64 {
        *self.used.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Blocks until `need` bytes are free, then reserves them (what a
    /// caller holding nothing asks).
    #[cfg(test)]
    fn acquire(&self, need: u64) -> Result<(), FileError> {
        self.grow(0, need)
    }

    /// Adds `more` bytes to the `held` bytes a caller already reserved. When
    /// they do not fit now, the caller gives back what it holds and waits for
    /// the whole amount: two workers each holding part of the budget and
    /// waiting for the rest would otherwise wait for each other forever.
    pub(crate) fn grow(&self, held: u64, more: u64) -> Result<(), FileError> {
        let need = held + more;
        if need > self.limit {
            return Err(FileError::OverBudget { needed_mib: need.div_ceil(1 << 20), limit_mib: self.limit >> 20 });
        }
        let mut used = self.used.lock().unwrap_or_else(PoisonError::into_inner);
        if *used + more <= self.limit {
            *used += more;
            return Ok(());
        }
        *used = used.saturating_sub(held);
        self.freed.notify_all();
        while *used + need > self.limit {
            used = self.freed.wait(used).unwrap_or_else(PoisonError::into_inner);
        }
        *used += need;
        Ok(())
    }

    /// Returns `n` reserved bytes to the budget.
    pub fn release(&self, n: u64) {
        if n == 0 {
            return;
        }
        let mut used = self.used.lock().unwrap_or_else(PoisonError::into_inner);
        *used = used.saturating_sub(n);
        self.freed.notify_all();
    }
}

/// The default budget: half of physical memory (at least 256 MiB), leaving
/// the rest to the system and to what the estimate does not see.
pub(crate) fn default_max_memory() -> u64 {
    // SAFETY: sysconf has no preconditions; it returns -1 when unknown.
    let (pages, page) = unsafe { (libc::sysconf(libc::_SC_PHYS_PAGES), libc::sysconf(libc::_SC_PAGESIZE)) };
    let total = if pages > 0 && page > 0 { pages as u64 * page as u64 } else { 4 << 30 };
    (total / 2).max(256 << 20)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn an_image_larger_than_the_budget_fails_at_once() {
        let b = Budget::new(100 << 20);
        assert!(matches!(b.acquire(200 << 20), Err(FileError::OverBudget { needed_mib: 200, limit_mib: 100 })));
        assert_eq!(b.used(), 0);
    }

    #[test]
    fn growing_past_the_budget_fails_and_growing_within_it_adds() {
        let b = Budget::new(100 << 20);
        b.acquire(10 << 20).unwrap();
        assert!(matches!(b.grow(10 << 20, 95 << 20), Err(FileError::OverBudget { needed_mib: 105, .. })));
        b.grow(10 << 20, 20 << 20).unwrap();
        assert_eq!(b.used(), 30 << 20);
    }

    #[test]
    fn two_holders_that_both_grow_do_not_deadlock() {
        // Each holds 40 of 100 and asks for 40 more: one must give way.
        let b = Arc::new(Budget::new(100));
        b.acquire(40).unwrap();
        b.acquire(40).unwrap();
        let b2 = Arc::clone(&b);
        let other = std::thread::spawn(move || {
            b2.grow(40, 40).unwrap();
            b2.release(80);
        });
        b.grow(40, 40).unwrap();
        b.release(80);
        other.join().unwrap();
        assert_eq!(b.used(), 0);
    }

    #[test]
    fn a_second_reservation_waits_for_the_first_release() {
        let b = Arc::new(Budget::new(100));
        b.acquire(70).unwrap();
        let b2 = Arc::clone(&b);
        let waiter = std::thread::spawn(move || {
            b2.acquire(50).unwrap();
            b2.used()
        });
        std::thread::sleep(Duration::from_millis(50));
        // Still blocked: 70 + 50 > 100.
        assert!(!waiter.is_finished());
        assert_eq!(b.used(), 70);
        b.release(70);
        assert_eq!(waiter.join().unwrap(), 50);
    }
}
