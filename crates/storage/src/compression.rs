//! Record batch compression (Kafka's `CompressionType`), shared by the log cleaner (which
//! decompresses, filters and recompresses batches) and the leader's append-time validation
//! ([`crate::log_validator`], which decompresses into a reused scratch buffer to walk the
//! records, and never recompresses). Fetch moves batches whole and never decompresses.
//!
//! The records section of a v2 batch (the bytes after the 61-byte header) is compressed as a
//! whole with the codec named by attribute bits 0-2:
//!
//! ```text
//! id  codec   stream format (what Kafka and librdkafka write and read)
//!  0  none    the records themselves
//!  1  gzip    RFC 1952 gzip (GZIPOutputStream); several members are read back to back
//!  2  snappy  xerial snappy-java framing: 16-byte header 82 'SNAPPY' 00, version 1 (i32 BE),
//!             compatible 1 (i32 BE), then blocks of [compressed length: i32 BE][raw snappy];
//!             librdkafka may also send one raw snappy block without the header
//!  3  lz4     LZ4 frame format (KafkaLZ4BlockOutputStream): independent 64 KiB blocks
//!  4  zstd    zstd frames (ZstdOutputStream)
//! ```
//!
//! Rewritten batches are recompressed with their original codec, as Kafka's cleaner does
//! (`MemoryRecords.buildRetainedRecordsInto` keeps `originalBatch.compressionType()`), at
//! Kafka's default levels (gzip 6, zstd 3).
//!
//! Thread-safety: free functions over byte slices; nothing shared.

use std::io::{Read, Write};

use crate::error::{Result, StorageError};

/// `CompressionType` ids (batch attribute bits 0-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    None,
    Gzip,
    Snappy,
    Lz4,
    Zstd,
}

impl Codec {
    /// Every codec, in id order.
    pub const ALL: [Codec; 5] = [
        Codec::None,
        Codec::Gzip,
        Codec::Snappy,
        Codec::Lz4,
        Codec::Zstd,
    ];
}

/// The xerial snappy-java stream header (`SnappyCodec.MAGIC_HEADER`, version, compatible).
const SNAPPY_JAVA_MAGIC: [u8; 8] = [0x82, b'S', b'N', b'A', b'P', b'P', b'Y', 0];
const SNAPPY_JAVA_HEADER_BYTES: usize = 16;
/// snappy-java's default block size (`SnappyOutputStream.DEFAULT_BLOCK_SIZE`).
const SNAPPY_JAVA_BLOCK_BYTES: usize = 32 * 1024;
/// Bound on a snappy block's expansion (the format's own limit is about 21).
const SNAPPY_EXPANSION_MAX: usize = 32;
/// gzip level of `GZIPOutputStream` (`Deflater.DEFAULT_COMPRESSION`).
const GZIP_LEVEL: u32 = 6;
/// `ZstdCompression.DEFAULT_LEVEL` (librdkafka uses the same).
const ZSTD_LEVEL: i32 = 3;

impl Codec {
    /// The codec of attribute bits 0-2; 5-7 are not Kafka codecs (`CORRUPT_MESSAGE`).
    pub fn from_id(id: u16) -> Result<Self> {
        Ok(match id {
            0 => Self::None,
            1 => Self::Gzip,
            2 => Self::Snappy,
            3 => Self::Lz4,
            4 => Self::Zstd,
            other => {
                return Err(StorageError::CorruptMessage(format!(
                    "unknown compression codec id {other}"
                )))
            }
        })
    }

    #[must_use]
    pub fn id(self) -> u16 {
        match self {
            Self::None => 0,
            Self::Gzip => 1,
            Self::Snappy => 2,
            Self::Lz4 => 3,
            Self::Zstd => 4,
        }
    }

    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Gzip => "gzip",
            Self::Snappy => "snappy",
            Self::Lz4 => "lz4",
            Self::Zstd => "zstd",
        }
    }
}

fn corrupt(codec: Codec, what: impl std::fmt::Display) -> StorageError {
    StorageError::CorruptMessage(format!("{} records section: {what}", codec.name()))
}

/// Reads all of `reader` into `out`, failing if it holds more than `max_bytes` (a limit on
/// what one batch may expand to, so a hostile batch cannot exhaust memory).
fn read_bounded(
    codec: Codec,
    reader: impl Read,
    max_bytes: usize,
    out: &mut Vec<u8>,
) -> Result<()> {
    let start = out.len();
    reader
        .take(max_bytes as u64 + 1)
        .read_to_end(out)
        .map_err(|e| corrupt(codec, e))?;
    if out.len() - start > max_bytes {
        return Err(corrupt(
            codec,
            format!("expands to more than {max_bytes} bytes"),
        ));
    }
    Ok(())
}

/// Appends the decompressed `input` to `out` (at most `max_bytes`).
pub fn decompress(codec: Codec, input: &[u8], max_bytes: usize, out: &mut Vec<u8>) -> Result<()> {
    match codec {
        Codec::None => {
            if input.len() > max_bytes {
                return Err(corrupt(codec, format!("more than {max_bytes} bytes")));
            }
            out.extend_from_slice(input);
            Ok(())
        }
        Codec::Gzip => read_bounded(
            codec,
            flate2::read::MultiGzDecoder::new(input),
            max_bytes,
            out,
        ),
        Codec::Snappy => decompress_snappy(input, max_bytes, out),
        Codec::Lz4 => read_bounded(
            codec,
            lz4_flex::frame::FrameDecoder::new(input),
            max_bytes,
            out,
        ),
        Codec::Zstd => {
            let decoder =
                zstd::stream::read::Decoder::with_buffer(input).map_err(|e| corrupt(codec, e))?;
            read_bounded(codec, decoder, max_bytes, out)
        }
    }
}

/// Decompression state kept from batch to batch: a zstd context (about 100 KiB of tables and
/// window buffers) costs more to create than a 16 KiB batch costs to inflate. The other codecs
/// keep nothing worth reusing. `Send + Sync`; one user at a time (`&mut self`).
#[derive(Default)]
pub struct Decompressor {
    zstd: Option<zstd::zstd_safe::DCtx<'static>>,
}

impl std::fmt::Debug for Decompressor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decompressor")
            .field("zstd", &self.zstd.is_some())
            .finish()
    }
}

impl Decompressor {
    /// A streaming reader of a gzip, lz4 or zstd records section (reusing the zstd context);
    /// `None` for none and snappy, which [`Self::decompress`] reads whole.
    pub fn reader<'a>(
        &'a mut self,
        codec: Codec,
        input: &'a [u8],
    ) -> Result<Option<Box<dyn Read + 'a>>> {
        Ok(match codec {
            Codec::None | Codec::Snappy => None,
            Codec::Gzip => Some(Box::new(flate2::read::MultiGzDecoder::new(input))),
            Codec::Lz4 => Some(Box::new(lz4_flex::frame::FrameDecoder::new(input))),
            Codec::Zstd => Some(Box::new(zstd::stream::read::Decoder::with_context(
                input,
                self.zstd_context()?,
            ))),
        })
    }

    fn zstd_context(&mut self) -> Result<&mut zstd::zstd_safe::DCtx<'static>> {
        let context = self.zstd.get_or_insert_with(zstd::zstd_safe::DCtx::create);
        // A previous stream may have stopped half way (an error): start a new session.
        context
            .reset(zstd::zstd_safe::ResetDirective::SessionOnly)
            .map_err(|code| corrupt(Codec::Zstd, zstd::zstd_safe::get_error_name(code)))?;
        Ok(context)
    }

    /// [`decompress`], reusing this decompressor's state.
    pub fn decompress(
        &mut self,
        codec: Codec,
        input: &[u8],
        max_bytes: usize,
        out: &mut Vec<u8>,
    ) -> Result<()> {
        if codec != Codec::Zstd {
            return decompress(codec, input, max_bytes, out);
        }
        let decoder = zstd::stream::read::Decoder::with_context(input, self.zstd_context()?);
        read_bounded(codec, decoder, max_bytes, out)
    }
}

fn decompress_snappy(input: &[u8], max_bytes: usize, out: &mut Vec<u8>) -> Result<()> {
    let codec = Codec::Snappy;
    let start = out.len();
    let raw_block = |block: &[u8], out: &mut Vec<u8>| -> Result<()> {
        let len = snap::raw::decompress_len(block).map_err(|e| corrupt(codec, e))?;
        // A snappy tag of at most 5 bytes copies at most 64: no block expands more than
        // about 21 times, so a larger claim is refused before the output is allocated.
        if len > block.len().saturating_mul(SNAPPY_EXPANSION_MAX) {
            return Err(corrupt(
                codec,
                format!("a {}-byte block claims {len} bytes", block.len()),
            ));
        }
        if out.len() - start + len > max_bytes {
            return Err(corrupt(
                codec,
                format!("expands to more than {max_bytes} bytes"),
            ));
        }
        let at = out.len();
        out.resize(at + len, 0);
        let n = snap::raw::Decoder::new()
            .decompress(block, &mut out[at..])
            .map_err(|e| corrupt(codec, e))?;
        out.truncate(at + n);
        Ok(())
    };
    if !input.starts_with(&SNAPPY_JAVA_MAGIC) {
        // One raw block, as librdkafka writes (snappy-java reads it the same way).
        return raw_block(input, out);
    }
    if input.len() < SNAPPY_JAVA_HEADER_BYTES {
        return Err(corrupt(codec, "truncated snappy-java header"));
    }
    let mut at = SNAPPY_JAVA_HEADER_BYTES;
    while at < input.len() {
        let Some(len_bytes) = input.get(at..at + 4) else {
            return Err(corrupt(codec, "truncated snappy-java block length"));
        };
        let len = i32::from_be_bytes(len_bytes.try_into().expect("4 bytes"));
        let end = usize::try_from(len)
            .ok()
            .and_then(|l| (at + 4).checked_add(l))
            .filter(|&e| e <= input.len())
            .ok_or_else(|| corrupt(codec, format!("snappy-java block of {len} bytes at {at}")))?;
        raw_block(&input[at + 4..end], out)?;
        at = end;
    }
    debug_assert!(out.len() - start <= max_bytes);
    Ok(())
}

/// Appends `input` compressed with `codec` to `out`.
pub fn compress(codec: Codec, input: &[u8], out: &mut Vec<u8>) -> Result<()> {
    let fail = |e: std::io::Error| corrupt(codec, format!("compressing: {e}"));
    match codec {
        Codec::None => out.extend_from_slice(input),
        Codec::Gzip => {
            let mut encoder =
                flate2::write::GzEncoder::new(out, flate2::Compression::new(GZIP_LEVEL));
            encoder.write_all(input).map_err(fail)?;
            encoder.finish().map_err(fail)?;
        }
        Codec::Snappy => {
            out.extend_from_slice(&SNAPPY_JAVA_MAGIC);
            out.extend_from_slice(&1i32.to_be_bytes()); // version
            out.extend_from_slice(&1i32.to_be_bytes()); // minimum compatible version
            let mut encoder = snap::raw::Encoder::new();
            for block in input.chunks(SNAPPY_JAVA_BLOCK_BYTES) {
                let len_at = out.len();
                out.extend_from_slice(&[0; 4]);
                let at = out.len();
                out.resize(at + snap::raw::max_compress_len(block.len()), 0);
                let n = encoder
                    .compress(block, &mut out[at..])
                    .map_err(|e| corrupt(codec, e))?;
                out.truncate(at + n);
                let n = i32::try_from(n).expect("a 32 KiB block compresses below 2 GiB");
                out[len_at..len_at + 4].copy_from_slice(&n.to_be_bytes());
            }
        }
        Codec::Lz4 => {
            let info = lz4_flex::frame::FrameInfo::new()
                .block_size(lz4_flex::frame::BlockSize::Max64KB)
                .block_mode(lz4_flex::frame::BlockMode::Independent);
            let mut encoder = lz4_flex::frame::FrameEncoder::with_frame_info(info, out);
            encoder.write_all(input).map_err(fail)?;
            encoder.finish().map_err(|e| corrupt(codec, e))?;
        }
        Codec::Zstd => {
            let mut encoder = zstd::stream::write::Encoder::new(out, ZSTD_LEVEL).map_err(fail)?;
            encoder.write_all(input).map_err(fail)?;
            encoder.finish().map_err(fail)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Codec; 5] = Codec::ALL;

    fn sample(len: usize) -> Vec<u8> {
        (0..len)
            .map(|i| (i * 7 % 13) as u8 ^ (i / 1000) as u8)
            .collect()
    }

    #[test]
    fn every_codec_round_trips_empty_small_and_multi_block_inputs() {
        for codec in ALL {
            for len in [0, 1, 100, 70_000, 300_000] {
                let input = sample(len);
                let mut compressed = Vec::new();
                compress(codec, &input, &mut compressed).unwrap();
                let mut out = vec![9];
                decompress(codec, &compressed, len, &mut out).unwrap();
                assert_eq!(&out[1..], &input[..], "{codec:?} {len}");
                assert_eq!(Codec::from_id(codec.id()).unwrap(), codec);
            }
        }
        assert!(Codec::from_id(5).is_err());
    }

    #[test]
    fn a_reused_decompressor_reads_after_a_failure() {
        let mut d = Decompressor::default();
        for codec in ALL {
            let input = sample(50_000);
            let mut compressed = Vec::new();
            compress(codec, &input, &mut compressed).unwrap();
            for round in 0..3 {
                if codec != Codec::None {
                    let half = &compressed[..compressed.len() / 2];
                    assert!(d.decompress(codec, half, 1 << 20, &mut Vec::new()).is_err());
                }
                let mut out = Vec::new();
                d.decompress(codec, &compressed, 1 << 20, &mut out).unwrap();
                assert_eq!(out, input, "{codec:?} round {round}");
            }
        }
    }

    #[test]
    fn decompression_is_bounded() {
        for codec in ALL {
            let input = vec![0u8; 100_000];
            let mut compressed = Vec::new();
            compress(codec, &input, &mut compressed).unwrap();
            let err = decompress(codec, &compressed, 99_999, &mut Vec::new()).unwrap_err();
            assert_eq!(
                err.kafka_error_name(),
                "CORRUPT_MESSAGE",
                "{codec:?}: {err}"
            );
        }
    }

    #[test]
    fn raw_snappy_and_concatenated_gzip_members_are_read() {
        let input = sample(5000);
        let raw = snap::raw::Encoder::new().compress_vec(&input).unwrap();
        let mut out = Vec::new();
        decompress(Codec::Snappy, &raw, input.len(), &mut out).unwrap();
        assert_eq!(out, input);

        let mut two = Vec::new();
        compress(Codec::Gzip, &input[..2000], &mut two).unwrap();
        compress(Codec::Gzip, &input[2000..], &mut two).unwrap();
        let mut out = Vec::new();
        decompress(Codec::Gzip, &two, input.len(), &mut out).unwrap();
        assert_eq!(out, input);
    }

    #[test]
    fn snappy_java_framing_is_what_snappy_java_writes() {
        let mut out = Vec::new();
        compress(Codec::Snappy, b"hello", &mut out).unwrap();
        assert_eq!(
            &out[..16],
            b"\x82SNAPPY\x00\x00\x00\x00\x01\x00\x00\x00\x01"
        );
        let block_len = i32::from_be_bytes(out[16..20].try_into().unwrap()) as usize;
        assert_eq!(out.len(), 20 + block_len);
    }

    #[test]
    fn a_snappy_block_claiming_more_than_snappy_can_expand_is_refused() {
        // Varint 0x80 0x80 0x80 0x40 = 128 MiB claimed by a 5-byte block.
        let claim = [0x80, 0x80, 0x80, 0x40, 0x00];
        let err = decompress(Codec::Snappy, &claim, 1 << 30, &mut Vec::new()).unwrap_err();
        assert!(err.to_string().contains("claims"), "{err}");
        // The most compressible input still decompresses.
        let zeros = vec![0u8; 1 << 20];
        let mut c = Vec::new();
        compress(Codec::Snappy, &zeros, &mut c).unwrap();
        let mut out = Vec::new();
        decompress(Codec::Snappy, &c, 1 << 20, &mut out).unwrap();
        assert_eq!(out, zeros);
        let raw = snap::raw::Encoder::new().compress_vec(&zeros).unwrap();
        out.clear();
        decompress(Codec::Snappy, &raw, 1 << 20, &mut out).unwrap();
        assert_eq!(out.len(), zeros.len());
    }

    #[test]
    fn garbage_is_corrupt_not_a_panic() {
        for codec in [Codec::Gzip, Codec::Snappy, Codec::Lz4, Codec::Zstd] {
            for junk in [
                &b""[..],
                b"\x00",
                b"\x82SNAPPY\x00\x00\x00\x00\x01\x00\x00\x00\x01\x7f\xff\xff\xff",
                &[0xff; 64],
            ] {
                let _ = decompress(codec, junk, 1 << 20, &mut Vec::new());
            }
        }
        assert!(decompress(Codec::Gzip, &[0xff; 64], 1 << 20, &mut Vec::new()).is_err());
    }
}
