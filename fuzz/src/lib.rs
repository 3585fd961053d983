//! Shared input format of the oxmq fuzz targets.
//!
//! The targets that feed a byte stream (`frame_decoder`, `handshake`) read
//! their input as:
//!
//! | bytes            | meaning                                                |
//! |------------------|--------------------------------------------------------|
//! | `0`              | `mode`: target-specific switches                       |
//! | `1..3`           | `param`: a big-endian `u16`, target-specific           |
//! | `3`              | `n`: how many split bytes follow (taken modulo 32)     |
//! | `4..4+n`         | split sizes: the stream is fed in chunks of these sizes, cycling; a 0 feeds an empty chunk |
//! | rest             | the stream                                             |
//!
//! Missing header bytes read as zero, so every input is valid. The seed
//! generator (`cargo run --example gen_corpus`) writes inputs in this format.
//!
//! One input can ask for over 100,000 chunks (31 split sizes, 30 of them 0,
//! cycled over a 4 KB stream), nearly all empty: [`Input::chunk_runs`] hands
//! each run of consecutive empty chunks out as one item, in constant time.

pub mod curve;
pub mod session;

use std::num::NonZeroUsize;

/// A decoded fuzz input (see the crate docs for the layout).
#[derive(Clone, Copy, Debug)]
pub struct Input<'a> {
    /// Target-specific switches.
    pub mode: u8,
    /// Target-specific parameter.
    pub param: u16,
    /// Chunk sizes, cycled; empty or all-zero means "the whole stream at once"
    /// after the zero-length chunks.
    pub splits: &'a [u8],
    /// The bytes to feed.
    pub stream: &'a [u8],
}

/// Length of the fixed header before the split sizes.
pub const HEADER_LEN: usize = 4;

impl<'a> Input<'a> {
    /// Splits `data` into header, split sizes and stream. Never fails.
    pub fn parse(data: &'a [u8]) -> Self {
        let byte = |i: usize| data.get(i).copied().unwrap_or(0);
        let n = usize::from(byte(3) % 32);
        let rest = data.get(HEADER_LEN..).unwrap_or(&[]);
        let (splits, stream) = rest.split_at(n.min(rest.len()));
        Input {
            mode: byte(0),
            param: u16::from_be_bytes([byte(1), byte(2)]),
            splits,
            stream,
        }
    }

    /// The stream cut into chunks: sizes come from `splits`, cycled while any
    /// is non-zero. Concatenated, the chunks are exactly the stream.
    pub fn chunks(&self) -> Vec<&'a [u8]> {
        let mut chunks = Vec::new();
        let mut rest = self.stream;
        let cycling = self.splits.iter().any(|&s| s != 0);
        for &size in self.splits {
            let (chunk, tail) = rest.split_at(usize::from(size).min(rest.len()));
            chunks.push(chunk);
            rest = tail;
        }
        if cycling {
            while !rest.is_empty() {
                for &size in self.splits {
                    let (chunk, tail) = rest.split_at(usize::from(size).min(rest.len()));
                    chunks.push(chunk);
                    rest = tail;
                }
            }
        } else if !rest.is_empty() {
            chunks.push(rest);
        }
        chunks
    }

    /// The chunks of [`Input::chunks`], in the same order, without collecting
    /// them, and with each maximal run of consecutive empty chunks given as
    /// one item `(&[], run length)`; a non-empty chunk comes as `(chunk, 1)`.
    pub fn chunk_runs(&self) -> ChunkRuns<'a> {
        let mut sizes = [0u8; 32];
        let mut zeros = [0u8; 32];
        for (i, &size) in self.splits.iter().enumerate().rev() {
            sizes[i] = size;
            if size == 0 {
                zeros[i] = zeros[i + 1] + 1;
            }
        }
        let cycling = self.splits.iter().any(|&s| s != 0);
        ChunkRuns {
            count: self.splits.len(),
            period: NonZeroUsize::new(self.splits.len()).filter(|_| cycling),
            sizes,
            zeros,
            index: 0,
            rest: self.stream,
        }
    }

    /// Serializes an input in this format; used by the seed generator.
    pub fn to_bytes(mode: u8, param: u16, splits: &[u8], stream: &[u8]) -> Vec<u8> {
        assert!(splits.len() < 32, "at most 31 split sizes");
        let mut out = vec![mode];
        out.extend_from_slice(&param.to_be_bytes());
        out.push(splits.len() as u8);
        out.extend_from_slice(splits);
        out.extend_from_slice(stream);
        out
    }
}

/// Iterator returned by [`Input::chunk_runs`].
#[derive(Clone, Debug)]
pub struct ChunkRuns<'a> {
    /// How many split sizes there are (at most 31).
    count: usize,
    /// `count` if the sizes are cycled (some size is not 0).
    period: Option<NonZeroUsize>,
    /// The split sizes, then zeros.
    sizes: [u8; 32],
    /// `zeros[i]`: how many consecutive zero sizes start at `sizes[i]`.
    zeros: [u8; 32],
    /// How many chunks were cut so far: the next one has size
    /// `sizes[index % count]`.
    index: usize,
    /// The part of the stream not handed out yet.
    rest: &'a [u8],
}

impl<'a> Iterator for ChunkRuns<'a> {
    type Item = (&'a [u8], usize);

    fn next(&mut self) -> Option<(&'a [u8], usize)> {
        // The common case, in few comparisons (under cargo fuzz each one
        // calls a coverage hook): a non-empty chunk. With `& 31` and
        // `wrapping_add` there is no bounds or overflow check to make
        // (`index % period` < 31).
        if let Some(period) = self.period {
            let size = usize::from(self.sizes[(self.index % period) & 31]);
            let len = size.min(self.rest.len());
            if len != 0 {
                self.index = self.index.wrapping_add(1);
                let (chunk, tail) = self.rest.split_at(len);
                self.rest = tail;
                return Some((chunk, 1));
            }
        }
        self.next_slow()
    }
}

impl<'a> ChunkRuns<'a> {
    /// `next` for a run of empty chunks or the end.
    fn next_slow(&mut self) -> Option<(&'a [u8], usize)> {
        let n = self.count;
        let Some(period) = self.period else {
            // No size, or only zeros: one round of empty chunks, then the
            // whole stream.
            if self.index < n {
                let run = n - self.index;
                self.index = n;
                return Some((&[], run));
            }
            return (!self.rest.is_empty()).then(|| (std::mem::take(&mut self.rest), 1));
        };
        let run = if self.rest.is_empty() {
            // The stream is used up: the sizes left in this round cut empty
            // chunks (the first round always runs to its end), then it ends.
            let end = if self.index == 0 {
                n
            } else {
                self.index.next_multiple_of(n)
            };
            let run = end - self.index;
            self.index = end;
            run
        } else {
            // Zero sizes up to the next non-zero one, which exists; the run
            // may go on past the end of a round.
            let mut run = 0;
            loop {
                let zeros = usize::from(self.zeros[(self.index % period) & 31]);
                if zeros == 0 {
                    break run;
                }
                run += zeros;
                self.index += zeros;
            }
        };
        (run > 0).then_some((&[][..], run))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_concatenate_to_the_stream() {
        let data = Input::to_bytes(1, 0x0203, &[0, 2, 1], b"abcdefg");
        let input = Input::parse(&data);
        assert_eq!((input.mode, input.param), (1, 0x0203));
        let chunks = input.chunks();
        assert_eq!(chunks.concat(), b"abcdefg");
        assert_eq!(chunks[..4], [&b""[..], b"ab", b"c", b""]);
        assert_eq!(Input::parse(&[]).chunks(), Vec::<&[u8]>::new());
        let whole = Input::to_bytes(0, 0, &[0], b"xyz");
        assert_eq!(Input::parse(&whole).chunks(), [&b""[..], b"xyz"]);
    }

    /// `chunk_runs`, expanded, is `chunks`, with no two empty runs in a row.
    fn check_runs(input: &Input) {
        let runs: Vec<(&[u8], usize)> = input.chunk_runs().collect();
        let mut expanded = Vec::new();
        for (i, &(chunk, n)) in runs.iter().enumerate() {
            assert!(n > 0 && (chunk.is_empty() || n == 1), "{runs:?}");
            if i > 0 {
                assert!(!(chunk.is_empty() && runs[i - 1].0.is_empty()), "{runs:?}");
            }
            expanded.extend(std::iter::repeat_n(chunk, n));
        }
        assert_eq!(expanded, input.chunks(), "{input:?}");
    }

    #[test]
    fn chunk_runs_expand_to_chunks() {
        let stream: Vec<u8> = (0..40).collect();
        let mut cases: Vec<Vec<u8>> = vec![vec![1; 31], vec![0; 31], vec![200, 0, 255]];
        cases.push([1].into_iter().chain([0; 30]).collect());
        cases.push([0; 30].into_iter().chain([3]).collect());
        // Longer lists, mostly zeros, from a fixed pseudo-random sequence.
        let mut x = 1u32;
        for len in 5..32 {
            cases.push(
                (0..len)
                    .map(|_| {
                        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                        [0, 0, 0, 1, 2, 7][(x >> 16) as usize % 6]
                    })
                    .collect(),
            );
        }
        // Every list of up to 4 sizes from 0..=3.
        for len in 0..=4u32 {
            for code in 0..4usize.pow(len) {
                cases.push((0..len).map(|i| ((code >> (2 * i)) & 3) as u8).collect());
            }
        }
        for splits in &cases {
            for len in [0, 1, 2, 3, 5, 13, 40] {
                let data = Input::to_bytes(0, 0, splits, &stream[..len]);
                check_runs(&Input::parse(&data));
            }
        }
        // A header cut short: fewer split sizes than announced, no stream.
        check_runs(&Input::parse(&[0, 0, 0, 5, 2, 0]));
        check_runs(&Input::parse(&[]));
    }
}
