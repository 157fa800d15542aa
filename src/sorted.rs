//! One stream in order from several streams that are each in order: how a
//! run puts its partitions' results back into account order, and how
//! `kindly merge` puts its shards' together, without holding them in memory.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Merges `streams`, each sorted by `key`, into one sorted stream. Items with
/// equal keys come in the order of their streams. An error from a stream is
/// passed on in its place.
pub fn merge<T, K, E, I, F>(streams: Vec<I>, key: F) -> Merge<T, K, E, I, F>
where
    K: Ord,
    I: Iterator<Item = Result<T, E>>,
    F: Fn(&T) -> K,
{
    let heads = streams.iter().map(|_| None).collect();
    Merge { streams, key, heap: BinaryHeap::new(), heads, started: false, error: None }
}

pub struct Merge<T, K, E, I, F> {
    streams: Vec<I>,
    key: F,
    heap: BinaryHeap<Reverse<(K, usize)>>,
    heads: Vec<Option<T>>,
    started: bool,
    error: Option<E>,
}

impl<T, K, E, I, F> Merge<T, K, E, I, F>
where
    K: Ord,
    I: Iterator<Item = Result<T, E>>,
    F: Fn(&T) -> K,
{
    /// Takes the next item of stream `i` into the heap; an error is kept to
    /// be passed on next.
    fn pull(&mut self, i: usize) {
        match self.streams[i].next() {
            Some(Ok(item)) => {
                self.heap.push(Reverse(((self.key)(&item), i)));
                self.heads[i] = Some(item);
            }
            Some(Err(e)) => self.error = self.error.take().or(Some(e)),
            None => {}
        }
    }
}

impl<T, K, E, I, F> Iterator for Merge<T, K, E, I, F>
where
    K: Ord,
    I: Iterator<Item = Result<T, E>>,
    F: Fn(&T) -> K,
{
    type Item = Result<T, E>;

    fn next(&mut self) -> Option<Result<T, E>> {
        if !self.started {
            self.started = true;
            (0..self.streams.len()).for_each(|i| self.pull(i));
        }
        if let Some(e) = self.error.take() {
            return Some(Err(e));
        }
        let Reverse((_, i)) = self.heap.pop()?;
        let item = self.heads[i].take()?;
        self.pull(i);
        Some(Ok(item))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn merging_sorted_streams_sorts_them_all(mut streams in proptest::collection::vec(proptest::collection::vec(0u16..500, 0..30), 0..8)) {
            streams.iter_mut().for_each(|s| s.sort());
            let mut expected: Vec<u16> = streams.concat();
            expected.sort();
            let merged: Result<Vec<u16>, ()> =
                super::merge(streams.into_iter().map(|s| s.into_iter().map(Ok)).collect(), |x| *x).collect();
            prop_assert_eq!(merged, Ok(expected));
        }
    }

    #[test]
    fn an_error_is_passed_on() {
        let streams = vec![vec![Ok(1), Err("bad"), Ok(3)].into_iter(), vec![Ok(2)].into_iter()];
        let merged: Vec<Result<i32, &str>> = super::merge(streams, |x| *x).collect();
        assert!(merged.contains(&Err("bad")));
    }
}
