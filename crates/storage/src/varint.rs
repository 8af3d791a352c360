//! Kafka's zigzag varints (`ByteUtils.readVarint`/`readVarlong`/`writeVarlong`), the length
//! and delta encoding inside v2 records, for the two places that read records: the cleaner
//! (`cleaner_records`) and the append-time validator (`log_validator`).
//!
//! Layout: little-endian base-128 groups of 7 bits, high bit set on every byte but the last;
//! the value is zigzag-encoded (`(v << 1) ^ (v >> 63)`). At most 10 bytes for a varlong.

/// Bytes of the longest varlong.
pub const VARLONG_BYTES_MAX: usize = 10;

/// Reads a zigzag varlong at `*at`, advancing it; `None` when the bytes end first or it is
/// longer than 10 bytes.
#[must_use]
pub fn read_varlong(b: &[u8], at: &mut usize) -> Option<i64> {
    let mut raw: u64 = 0;
    for i in 0..VARLONG_BYTES_MAX {
        let byte = *b.get(*at + i)?;
        raw |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            *at += i + 1;
            return Some(((raw >> 1) as i64) ^ -((raw & 1) as i64));
        }
    }
    None
}

/// A zigzag varint that must fit an `i32`.
#[must_use]
pub fn read_varint(b: &[u8], at: &mut usize) -> Option<i32> {
    read_varlong(b, at).and_then(|v| i32::try_from(v).ok())
}

/// Writes a zigzag varlong into `out` (at least 10 bytes), returning the bytes used.
pub fn write_varlong(out: &mut [u8], v: i64) -> usize {
    let mut z = ((v << 1) ^ (v >> 63)) as u64;
    let mut i = 0;
    loop {
        let byte = (z & 0x7f) as u8;
        z >>= 7;
        if z == 0 {
            out[i] = byte;
            return i + 1;
        }
        out[i] = byte | 0x80;
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_edge_values_and_refuses_truncated_or_overlong_input() {
        for v in [
            0,
            1,
            -1,
            63,
            -64,
            64,
            i64::from(i32::MAX),
            i64::from(i32::MIN),
            i64::MAX,
            i64::MIN,
        ] {
            let mut buf = [0u8; VARLONG_BYTES_MAX];
            let n = write_varlong(&mut buf, v);
            let mut at = 0;
            assert_eq!(read_varlong(&buf[..n], &mut at), Some(v));
            assert_eq!(at, n);
            let mut at = 0;
            assert_eq!(read_varlong(&buf[..n - 1], &mut at), None, "truncated {v}");
        }
        let mut at = 0;
        assert_eq!(
            read_varlong(&[0x80; 11], &mut at),
            None,
            "longer than 10 bytes"
        );
        let mut buf = [0u8; VARLONG_BYTES_MAX];
        let n = write_varlong(&mut buf, i64::from(i32::MAX) + 1);
        let mut at = 0;
        assert_eq!(read_varint(&buf[..n], &mut at), None, "does not fit an i32");
    }
}
