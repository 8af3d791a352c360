// Converts a topic's effective configuration into the storage engine's LogConfig.
// TIDELOG_BENCH_SKIP_RECORD_VALIDATION=1 in the broker's environment turns off the leader's
// record walk (crates/storage log_validator) so a benchmark can measure what it costs; read
// once at start-up, never meant for production (Kafka has no such switch).
import type { EffectiveTopicConfig } from '../config/topic-config.js';
import type { BindingLogConfig } from '../native.js';

const validateRecords = process.env.TIDELOG_BENCH_SKIP_RECORD_VALIDATION !== '1';

export function toBindingLogConfig(c: EffectiveTopicConfig): BindingLogConfig {
  return {
    segmentBytes: c.segmentBytes,
    segmentMs: c.segmentMs,
    indexIntervalBytes: c.indexIntervalBytes,
    maxIndexSizeBytes: c.segmentIndexBytes,
    maxMessageBytes: c.maxMessageBytes,
    logAppendTime: c.messageTimestampType === 'LogAppendTime',
    messageTimestampBeforeMaxMs: c.messageTimestampBeforeMaxMs,
    messageTimestampAfterMaxMs: c.messageTimestampAfterMaxMs,
    compacted: c.cleanupPolicy.includes('compact'),
    validateRecords,
    flushIntervalMessages: c.flushMessages,
  };
}
