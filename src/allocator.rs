//! The binary's allocator. Every image needs pixel (and, for a progressive
//! JPEG, coefficient) buffers of tens of MB. Handed back to the system and
//! asked for again, each costs a page fault and a zeroed page per 4 KiB: on
//! T2 that was 579,000 faults and a quarter of the CPU time in the kernel.
//! With mimalloc a worker's freed pages stay mapped for a moment and its next
//! image reuses them. The library leaves the allocator to its user.

#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc.h (the same in v2 and v3), which the
/// bindings do not name.
#[cfg(feature = "mimalloc")]
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Before any thread allocates: the C libraries (libjpeg-turbo, libheif)
/// still use the system allocator, and a build without mimalloc uses it for
/// everything. glibc's mmap threshold rises after the first large buffer is
/// freed, and later buffers then stay in per-thread heaps, growing peak RSS
/// by a buffer per worker; a fixed threshold hands every one back when freed.
pub fn init() {
    #[cfg(target_env = "gnu")]
    // SAFETY: mallopt only tunes the allocator; called first, before any thread allocates.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

/// By default freed pages stay mapped for mimalloc's own purge delay (1 s):
/// shorter delays hand pages back between two images of the same worker
/// (T2, 2 workers: 100 ms took 1.06x as long, 0 ms 1.15x). `strict`: the
/// user set `--max-memory`, so resident memory must follow what the budget
/// admitted, and freed pages go back at once. `MIMALLOC_PURGE_DELAY` in the
/// environment wins.
pub fn keep_freed_pages(strict: bool) {
    #[cfg(feature = "mimalloc")]
    if strict && std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: setting an option is always allowed; mimalloc reads the purge delay each time it purges.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
    }
    #[cfg(not(feature = "mimalloc"))]
    let _ = strict;
}
