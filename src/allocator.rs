//! How the `kindly` command's memory allocator, mimalloc (chosen in
//! `main.rs`), gives memory back.

use std::os::raw::c_int;

/// mimalloc's number for its `purge_delay` option, from `mimalloc.h` of the
/// mimalloc v3 sources that libmimalloc-sys 0.1.49 builds (its bindings
/// name only a few options). The test below reads the option's default
/// through this number, so an upgrade that renumbers it fails there.
const PURGE_DELAY: c_int = 15;

/// Has mimalloc give freed memory back to the system at once, rather than
/// after its default second (ten for whole arenas). A run frees a little
/// after every letter, and with the delay that memory was still counted
/// when the next letters took more: 1,000 accounts on two threads peaked at
/// 86 MiB with the delay and 70 MiB without, at the same speed.
pub fn return_freed_memory_at_once() {
    // SAFETY: sets one of mimalloc's options, which it allows at any time
    // and from any thread.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, 0) }
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
