//! Allocator settings for the binary (and the benches), which allocate with
//! mimalloc (`#[global_allocator]` in main.rs; the library leaves the choice
//! to its user). Every image needs pixel (and, for a progressive JPEG,
//! coefficient) buffers of tens of MB. Handed back to the system and asked
//! for again, each costs a page fault and a zeroed page per 4 KiB: on T2
//! that was 579,000 faults and a quarter of the CPU time in the kernel. With
//! mimalloc a worker's freed pages stay mapped for a while and its next
//! images reuse them.

use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicBool, Ordering};

/// `mi_option_purge_delay` in mimalloc.h (the same in v2 and v3), which the
/// bindings do not name.
#[cfg(feature = "mimalloc")]
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// How long (ms) freed pages stay mapped for reuse. With mimalloc's own
/// default (1 s) a freed range that the next few images happen not to fit
/// is handed back and faulted in again later: T2 (2 workers) still zeroed
/// fresh pages for 16 % of its CPU time and took 1.16x as long as with 10 s,
/// at the same peak RSS (416 against 421 MB). An idle run hands its memory
/// back after this long.
const KEEP_FREED_MS: std::ffi::c_long = 10_000;

/// First thing in `main`, before anything is freed: mimalloc schedules a
/// purge with the delay of the moment, so a delay set later does not cover
/// what was freed before. `MIMALLOC_PURGE_DELAY` in the environment wins.
///
/// The C libraries (libjpeg-turbo; libheif with avif-libaom) still use the system allocator,
/// and a build without mimalloc uses it for everything. glibc's mmap
/// threshold rises after the first large buffer is freed, and later buffers
/// then stay in per-thread heaps, growing peak RSS by a buffer per worker; a
/// fixed threshold hands every one back when freed.
pub fn init() {
    set_purge_delay(KEEP_FREED_MS);
    #[cfg(target_env = "gnu")]
    // SAFETY: mallopt only tunes the allocator; called first, before any thread allocates.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

/// For a run with a memory budget the job says resident memory must follow
/// (`Job::follow_budget`, set by `--max-memory`): freed pages go back at
/// once. Held by the run while it runs; the delay before it is put back
/// when dropped, so a program that embeds the library keeps its setting.
pub(crate) struct FollowBudget {
    before: std::ffi::c_long,
}

impl FollowBudget {
    /// Sets the purge delay to 0 until dropped.
    pub fn new() -> Self {
        FollowBudget { before: set_purge_delay(0) }
    }
}

impl Default for FollowBudget {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for FollowBudget {
    fn drop(&mut self) {
        set_purge_delay(self.before);
    }
}

/// In a worker process, which lives for one run: for good.
pub fn follow_budget() {
    set_purge_delay(0);
}

/// Sets mimalloc's purge delay, unless `MIMALLOC_PURGE_DELAY` says
/// otherwise; returns the delay it replaced.
#[cfg(feature = "mimalloc")]
fn set_purge_delay(ms: std::ffi::c_long) -> std::ffi::c_long {
    // SAFETY: reading and setting an option is always allowed; mimalloc reads
    // the purge delay each time it schedules a purge.
    unsafe {
        let before = libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY);
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, ms);
        }
        before
    }
}

#[cfg(not(feature = "mimalloc"))]
fn set_purge_delay(ms: std::ffi::c_long) -> std::ffi::c_long {
    ms
}

/// Set when an allocation returned null: in a worker process under its
/// memory limit, the abort that follows is then "over the memory limit",
/// not a crash (see `isolate/child.rs`). Cleared by the worker per file.
pub(crate) static ALLOCATION_FAILED: AtomicBool = AtomicBool::new(false);

/// The binary's global allocator `A`, noting failed allocations in
/// [`ALLOCATION_FAILED`]. Rust aborts on a failed allocation without a hook
/// a stable program can set; the flag is how the abort is told apart.
pub struct Flagged<A>(pub A);

impl<A> Flagged<A> {
    #[inline]
    fn note(p: *mut u8) -> *mut u8 {
        if p.is_null() {
            ALLOCATION_FAILED.store(true, Ordering::Relaxed);
        }
        p
    }
}

// SAFETY: every call is passed on to `A` unchanged; only a null result is noted.
unsafe impl<A: GlobalAlloc> GlobalAlloc for Flagged<A> {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's guarantees are passed on.
        Self::note(unsafe { self.0.alloc(layout) })
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as above.
        Self::note(unsafe { self.0.alloc_zeroed(layout) })
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { self.0.dealloc(ptr, layout) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as above.
        Self::note(unsafe { self.0.realloc(ptr, layout, new_size) })
    }
}

#[cfg(all(test, feature = "mimalloc"))]
mod tests {
    use super::*;

    /// The bindings give no name for the option, so the number is checked
    /// against the default mimalloc 3 documents for it (options.c): had the
    /// enum moved, `init` would silently set some other option.
    #[test]
    fn the_option_number_is_mimallocs_purge_delay() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            return;
        }
        // SAFETY: reading an option is always allowed.
        assert_eq!(unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) }, 1000);
        set_purge_delay(KEEP_FREED_MS);
        // SAFETY: as above.
        assert_eq!(unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) }, KEEP_FREED_MS);
    }
}
