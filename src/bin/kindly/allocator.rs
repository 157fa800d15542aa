//! How the `kindly` command's memory allocator, mimalloc (chosen in
//! `main.rs`), gives memory back.

use std::os::raw::{c_int, c_long};

/// mimalloc's number for its `purge_delay` option, from `mimalloc.h` of the
/// mimalloc v3 sources that libmimalloc-sys 0.1.49 builds (its bindings
/// name only a few options). The test below reads the option's default
/// through this number, so an upgrade that renumbers it fails there.
const PURGE_DELAY: c_int = 15;

/// How long, in milliseconds, mimalloc keeps memory a run freed before it
/// gives it back to the system.
///
/// A letter frees and takes again a few MiB while it is made (about 8 ms
/// of a thread's time). Given back at once (0), every page of that came
/// back through a page fault, and every `madvise` that gave it back
/// flushed the other core's TLB: about 100,000 faults in a 1,000-account
/// run, half its system time. Kept 5 ms, the next letter takes the same
/// memory again without the kernel. Measured 3 December 2026, runs
/// interleaved, `-j 2`: 1,000 accounts, eight rounds, page faults 99,700 →
/// 52,800, system time 0.65 → 0.35 s, CPU 6% lower, peak 61-62 → 63-66
/// MiB; 10,000 accounts, six pairs in alternating order, letters/s 1.10x
/// (1.01-1.15x), CPU 0.91x, peak 63-65 → 65-68 MiB. mimalloc's own
/// default, a second (ten for whole arenas), peaked at 86 MiB instead of
/// 70 at 1,000 accounts; never giving memory back, at 77 instead of 59.
const KEEP_FREED_MS: c_long = 5;

/// Sets how soon mimalloc gives freed memory back (see [`KEEP_FREED_MS`]).
pub fn give_freed_memory_back_soon() {
    // SAFETY: sets one of mimalloc's options, which it allows at any time
    // and from any thread.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, KEEP_FREED_MS) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purge_delay_is_the_option_its_number_says() {
        // SAFETY: reads an option; nothing in this test binary set it.
        let default = unsafe { libmimalloc_sys::mi_option_get(PURGE_DELAY) };
        assert_eq!(default, 1000, "mimalloc's purge delay defaults to 1000 ms");
    }
}
