//! The order in which the walker hands tasks to the workers: the costliest
//! first among the next [`WINDOW`] it has planned.
//!
//! A run ends when its last image does. In walk order (by name) a big file
//! found late keeps one worker busy while the others have nothing left to
//! do. Handing on the costliest task known whenever a worker can take one
//! (longest processing time first, Graham's list-scheduling rule) leaves the
//! small files for the end, where they fill the gaps. The window keeps
//! memory flat: tasks are ordered only among the next few hundred, however
//! large the folder. Costs are the walker's estimates (see [`crate::cost`]).

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::task::Task;

/// Planned tasks held back at most. Enough to order a folder of photos
/// whole, and the tail of any larger walk; a few hundred small records.
pub(crate) const WINDOW: usize = 256;

/// Tasks waiting to be handed on, costliest first.
#[derive(Debug)]
pub(crate) struct Lookahead {
    heap: BinaryHeap<Ranked>,
    capacity: usize,
}

impl Lookahead {
    /// Holds up to `capacity` tasks (at least one).
    pub fn new(capacity: usize) -> Self {
        Lookahead { heap: BinaryHeap::new(), capacity: capacity.max(1) }
    }

    /// Holds a planned task.
    pub fn push(&mut self, task: Task) {
        self.heap.push(Ranked(task));
    }

    /// The costliest task held; of equal costs the earliest in the walk.
    pub fn pop(&mut self) -> Option<Task> {
        self.heap.pop().map(|r| r.0)
    }

    /// Whether a task must be handed on before the next is planned.
    pub(crate) fn is_full(&self) -> bool {
        self.heap.len() >= self.capacity
    }

    /// How many tasks are held.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.heap.len()
    }
}

/// A task ordered by cost, then by its place in the walk (earlier is greater).
#[derive(Debug)]
struct Ranked(Task);

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.cost.cmp(&other.0.cost).then_with(|| other.0.seq.cmp(&self.0.seq))
    }
}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Ranked {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::OutFormat;

    fn task(seq: u64, cost: u64) -> Task {
        Task {
            input: format!("{seq}.jpg").into(),
            seq,
            up_to_date: false,
            cost,
            source: crate::format::InFormat::Jpeg,
            format: OutFormat::Jpeg,
            outputs: vec![],
            stamp: Default::default(),
            redo: None,
        }
    }

    /// Finish time of `costs` handed in this order to `workers` workers,
    /// each taking the next task when it is free.
    fn makespan(costs: impl IntoIterator<Item = u64>, workers: usize) -> u64 {
        let mut free = vec![0u64; workers];
        for c in costs {
            let first = free.iter_mut().min().expect("workers");
            *first += c;
        }
        free.into_iter().max().unwrap_or(0)
    }

    #[test]
    fn costliest_first_and_walk_order_among_equals() {
        let mut l = Lookahead::new(10);
        for (seq, cost) in [(0, 5), (1, 9), (2, 5), (3, 1), (4, 9)] {
            l.push(task(seq, cost));
        }
        let order: Vec<u64> = std::iter::from_fn(|| l.pop()).map(|t| t.seq).collect();
        assert_eq!(order, [1, 4, 0, 2, 3]);
    }

    #[test]
    fn full_at_its_capacity() {
        let mut l = Lookahead::new(2);
        l.push(task(0, 1));
        assert!(!l.is_full());
        l.push(task(1, 1));
        assert!(l.is_full());
        assert!(l.pop().is_some() && !l.is_full() && l.len() == 1);
        assert!(Lookahead::new(0).capacity == 1);
    }

    #[test]
    fn a_big_file_found_last_no_longer_sets_the_end() {
        // Ten small files, then one that takes as long as all of them.
        let mut costs = vec![10u64; 10];
        costs.push(100);
        let walk = makespan(costs.iter().copied(), 2);
        let mut l = Lookahead::new(WINDOW);
        for (seq, &cost) in costs.iter().enumerate() {
            l.push(task(seq as u64, cost));
        }
        let ordered = makespan(std::iter::from_fn(|| l.pop()).map(|t| t.cost), 2);
        assert_eq!((walk, ordered), (150, 100));
    }
}
