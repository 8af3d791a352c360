//! Seeded property test: random append / read / truncate / reopen / retention /
//! delete-records sequences against an in-memory model (offset → batch bytes).

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{batch, last_offset_of, read_all, slice_bytes};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use tidelog_storage::{Log, LogConfig};

#[derive(Debug, Clone)]
enum Op {
    /// Batches of (records, value bytes) in one request.
    Append(Vec<(usize, usize)>),
    /// Offset pick, `max_bytes`, `max_offset` pick (None = unbounded), `min_one_message`.
    Read(u16, u32, Option<u16>, bool),
    Truncate(u16),
    /// clean close, recovery point pick (for a crash).
    Reopen(bool, u16),
    Retention(u32),
    DeleteRecords(u16),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => proptest::collection::vec((1usize..5, 0usize..300), 1..4).prop_map(Op::Append),
        4 => (any::<u16>(), 0u32..3000, proptest::option::of(any::<u16>()), any::<bool>()).prop_map(|(a, b, c, d)| Op::Read(a, b, c, d)),
        1 => any::<u16>().prop_map(Op::Truncate),
        1 => (any::<bool>(), any::<u16>()).prop_map(|(a, b)| Op::Reopen(a, b)),
        1 => (0u32..8000).prop_map(Op::Retention),
        1 => any::<u16>().prop_map(Op::DeleteRecords),
    ]
}

fn config() -> LogConfig {
    LogConfig {
        segment_bytes: 2048,
        index_interval_bytes: 200,
        max_index_size_bytes: 96,
        ..LogConfig::default()
    }
}

#[derive(Default)]
struct Model {
    /// base offset → batch bytes as stored.
    batches: BTreeMap<i64, Vec<u8>>,
    start: i64,
    leo: i64,
}

impl Model {
    fn pick(&self, p: u16) -> i64 {
        self.start + i64::from(p) % (self.leo - self.start + 1)
    }
    fn prune_below_start(&mut self) {
        let start = self.start;
        self.batches.retain(|_, b| last_offset_of(b) >= start);
    }
    /// The batch holding `offset`.
    fn containing(&self, offset: i64) -> Option<(i64, &Vec<u8>)> {
        self.batches
            .range(..=offset)
            .next_back()
            .filter(|(_, b)| last_offset_of(b) >= offset)
            .map(|(k, v)| (*k, v))
    }
}

fn check(log: &Log, model: &Model) {
    assert_eq!(log.log_end_offset(), model.leo);
    assert_eq!(log.log_start_offset(), model.start);
    let expected: Vec<(i64, Vec<u8>)> =
        model.batches.iter().map(|(k, v)| (*k, v.clone())).collect();
    assert_eq!(read_all(log), expected);
}

fn check_read(
    log: &Log,
    model: &Model,
    offset: i64,
    max_bytes: u32,
    max_offset: i64,
    min_one: bool,
) {
    let result = log.read(offset, max_bytes, max_offset, min_one);
    if offset < model.start || offset > model.leo {
        assert_eq!(result.unwrap_err().kafka_error_code(), 1);
        return;
    }
    let got = result.unwrap();
    if offset >= model.leo || offset >= max_offset {
        assert!(got.is_none());
        return;
    }
    let (_, first) = model.containing(offset).expect("no gaps in a leader log");
    let budget = if min_one {
        u64::from(max_bytes).max(first.len() as u64)
    } else {
        u64::from(max_bytes)
    };
    if last_offset_of(first) >= max_offset || first.len() as u64 > budget {
        assert!(got.is_none(), "offset {offset}");
        return;
    }
    let slice = got.expect("a batch is readable");
    let bytes = slice_bytes(&slice);
    let bases = log.segment_base_offsets();
    let mut expect = Vec::new();
    let (first_base, _) = model.containing(offset).unwrap();
    let mut last = 0;
    for (i, (base, b)) in model.batches.range(first_base..).enumerate() {
        let fits = last_offset_of(b) < max_offset && (expect.len() + b.len()) as u64 <= budget;
        let new_segment = i > 0 && bases.contains(base);
        if !fits || new_segment {
            break;
        }
        expect.extend_from_slice(b);
        last = last_offset_of(b);
    }
    assert_eq!(
        bytes, expect,
        "read({offset}, {max_bytes}, {max_offset}, {min_one})"
    );
    assert_eq!((slice.first_offset, slice.last_offset), (first_base, last));
}

fn run(dir: &Path, ops: &[Op]) {
    let mut log = Some(Log::open(dir, config(), 0).unwrap());
    let mut model = Model::default();
    let mut ts = 0i64;
    for op in ops {
        let l = log.as_mut().unwrap();
        match op {
            Op::Append(spec) => {
                let mut req = Vec::new();
                for &(n, len) in spec {
                    ts += 1;
                    req.extend(batch(n, len, ts, (ts % 251) as u8));
                }
                let info = l.append(&mut req, 0, ts).unwrap();
                assert_eq!(info.first_offset, model.leo);
                let mut at = 0;
                while at < req.len() {
                    let len =
                        i32::from_be_bytes(req[at + 8..at + 12].try_into().unwrap()) as usize + 12;
                    let b = req[at..at + len].to_vec();
                    model.batches.insert(common::base_offset_of(&b), b);
                    at += len;
                }
                model.leo = info.last_offset + 1;
            }
            Op::Read(o, max_bytes, max_offset, min_one) => {
                let offset = if model.leo > model.start {
                    model.pick(*o)
                } else {
                    model.start
                };
                let max_offset = max_offset.map_or(i64::MAX, |p| model.pick(p));
                check_read(l, &model, offset, *max_bytes, max_offset, *min_one);
                check_read(
                    l,
                    &model,
                    offset.saturating_sub(i64::from(*o % 3)),
                    *max_bytes,
                    max_offset,
                    *min_one,
                );
            }
            Op::Truncate(p) => {
                let target = model.pick(*p);
                let new_leo = match model.containing(target) {
                    Some((base, _)) if target < model.leo => base,
                    _ => target.min(model.leo),
                };
                if new_leo < model.start {
                    continue;
                }
                l.truncate_to(target).unwrap();
                model.batches.retain(|_, b| last_offset_of(b) < new_leo);
                model.leo = new_leo;
            }
            Op::Reopen(clean, p) => {
                let l = log.take().unwrap();
                let recovery_point = if *clean {
                    let leo = l.log_end_offset();
                    l.close().unwrap();
                    leo
                } else {
                    let rp = i64::from(*p) % (model.leo + 1);
                    drop(l); // a crash that kept the page cache: nothing is lost
                    rp
                };
                let mut reopened = Log::open(dir, config(), recovery_point).unwrap();
                // The owner restores the log start offset it checkpointed.
                reopened.delete_records_before(model.start).unwrap();
                log = Some(reopened);
            }
            Op::Retention(bytes) => {
                let before = l.log_start_offset();
                l.delete_old_segments(0, -1, i64::from(*bytes)).unwrap();
                let after = l.log_start_offset();
                assert!(after >= before);
                assert!(after == before || l.segment_base_offsets()[0] == after);
                model.start = after;
                model.prune_below_start();
                if l.segment_count() > 1 {
                    // Kafka's rule: the first segment stays only if the log without it would
                    // drop below retention_bytes.
                    let first = u64::from(l.segments().next().unwrap().size_bytes());
                    assert!(
                        l.size_bytes() - first < u64::from(*bytes),
                        "retention kept too much"
                    );
                }
            }
            Op::DeleteRecords(p) => {
                let target = model.pick(*p);
                l.delete_records_before(target).unwrap();
                model.start = model.start.max(target);
                model.prune_below_start();
            }
        }
        check(log.as_ref().unwrap(), &model);
    }
}

#[test]
fn random_operations_match_the_model() {
    let config = Config {
        cases: 96,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    runner
        .run(&proptest::collection::vec(op(), 1..80), |ops| {
            let dir = tempfile::tempdir().unwrap();
            run(dir.path(), &ops);
            Ok(())
        })
        .unwrap();
}
