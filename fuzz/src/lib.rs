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
}
