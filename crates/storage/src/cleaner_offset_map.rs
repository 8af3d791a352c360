//! `OffsetMap`: key hash → latest offset of the dirty section, for one cleaning pass (Kafka's
//! `SkimpyOffsetMap`).

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};

use siphasher::sip128::{Hasher128, SipHasher13};

/// Bytes Kafka budgets per entry (16-byte MD5 + 8-byte offset); the entry limit is derived
/// from `log.cleaner.dedupe.buffer.size` with it, as Kafka does.
pub const OFFSET_MAP_ENTRY_BYTES: usize = 24;
/// `log.cleaner.io.buffer.load.factor`: fill at most this much of the budget.
pub const OFFSET_MAP_LOAD_FACTOR: f64 = 0.9;

/// The map's own hashing of an already uniform 128-bit key hash: take 64 bits of it.
#[derive(Default)]
struct TakeLow64(u64);

impl Hasher for TakeLow64 {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = self.0.rotate_left(5) ^ u64::from_le_bytes(word);
        }
    }

    fn write_u128(&mut self, v: u128) {
        self.0 = v as u64;
    }
}

/// Key hash → largest offset seen for that key, filled from the dirty section in offset order.
///
/// Keys are hashed with 128-bit SipHash-1-3 under a key drawn per map, so two record keys
/// collide (and one would wrongly shadow the other) with probability about n²/2¹²⁹, and a
/// producer cannot choose keys that collide on purpose (Kafka's MD5 is unkeyed). The map holds
/// at most `entries_max` keys; the cleaner stops adding batches when the next one might not
/// fit, and cleans only up to there (Kafka: "offset map is full").
///
/// Thread-safety: owned by one cleaning task; not shared.
pub struct OffsetMap {
    map: HashMap<u128, i64, BuildHasherDefault<TakeLow64>>,
    keys: (u64, u64),
    entries_max: usize,
    /// Largest offset put in the map, -1 when empty (Kafka's `latestOffset`).
    latest_offset: i64,
}

impl OffsetMap {
    /// A map for at most `entries_max` keys (at least 1).
    #[must_use]
    pub fn new(entries_max: usize) -> Self {
        let random = std::collections::hash_map::RandomState::new();
        let keys = (random.hash_one(0x5a5a_u64), random.hash_one(0xa5a5_u64));
        Self {
            map: HashMap::default(),
            keys,
            entries_max: entries_max.max(1),
            latest_offset: -1,
        }
    }

    /// The entry limit for a dedupe buffer of `buffer_bytes` (Kafka's slots × load factor).
    #[must_use]
    #[expect(
        clippy::cast_precision_loss,
        reason = "Kafka's slots * load factor, as a double"
    )]
    pub fn entries_for_buffer_bytes(buffer_bytes: u64) -> usize {
        let slots = buffer_bytes / OFFSET_MAP_ENTRY_BYTES as u64;
        ((slots as f64 * OFFSET_MAP_LOAD_FACTOR) as usize).max(1)
    }

    fn hash(&self, key: &[u8]) -> u128 {
        let mut h = SipHasher13::new_with_keys(self.keys.0, self.keys.1);
        h.write(key);
        h.finish128().as_u128()
    }

    /// Records `offset` as the latest for `key`; offsets must not decrease.
    pub fn put(&mut self, key: &[u8], offset: i64) {
        debug_assert!(offset >= self.latest_offset, "offsets go forward");
        let h = self.hash(key);
        self.map.insert(h, offset);
        self.latest_offset = offset;
    }

    /// The latest offset of `key`, or -1 when the dirty section does not hold it.
    #[must_use]
    pub fn get(&self, key: &[u8]) -> i64 {
        self.map.get(&self.hash(key)).copied().unwrap_or(-1)
    }

    /// Whether `more` new keys might not fit.
    #[must_use]
    pub fn would_overflow(&self, more: usize) -> bool {
        self.map.len().saturating_add(more) > self.entries_max
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.map.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    #[must_use]
    pub fn latest_offset(&self) -> i64 {
        self.latest_offset
    }

    /// Share of the entry limit in use (Kafka's `utilization`).
    #[must_use]
    #[expect(clippy::cast_precision_loss, reason = "a ratio for metrics")]
    pub fn utilization(&self) -> f64 {
        self.map.len() as f64 / self.entries_max as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latest_offset_per_key_against_a_model() {
        let mut map = OffsetMap::new(10_000);
        let mut model = std::collections::HashMap::new();
        let mut x: u64 = 42;
        for offset in 0..5000i64 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let key = format!("k{}", (x >> 33) % 700);
            map.put(key.as_bytes(), offset);
            model.insert(key, offset);
        }
        for (k, o) in &model {
            assert_eq!(map.get(k.as_bytes()), *o);
        }
        assert_eq!(map.get(b"absent"), -1);
        assert_eq!(map.get(b""), -1);
        map.put(b"", 5000);
        assert_eq!(map.get(b""), 5000);
        assert_eq!(map.len(), model.len() + 1);
        assert_eq!(map.latest_offset(), 5000);
        assert!(!map.would_overflow(10_000 - map.len()));
        assert!(map.would_overflow(10_001 - map.len()));
    }

    #[test]
    fn buffer_bytes_to_entries_follows_kafka() {
        // log.cleaner.dedupe.buffer.size 128 MiB: 5592405 slots, 90% usable.
        assert_eq!(
            OffsetMap::entries_for_buffer_bytes(128 * 1024 * 1024),
            5_033_164
        );
        assert_eq!(OffsetMap::entries_for_buffer_bytes(0), 1);
    }
}
