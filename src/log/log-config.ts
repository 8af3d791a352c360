// Converts a topic's effective configuration into the storage engine's LogConfig.
import type { EffectiveTopicConfig } from '../config/topic-config.js';
import type { BindingLogConfig } from '../native.js';

export function toBindingLogConfig(c: EffectiveTopicConfig): BindingLogConfig {
  return {
    segmentBytes: c.segmentBytes,
    segmentMs: c.segmentMs,
    indexIntervalBytes: c.indexIntervalBytes,
    maxIndexSizeBytes: c.segmentIndexBytes,
    maxMessageBytes: c.maxMessageBytes,
    logAppendTime: c.messageTimestampType === 'LogAppendTime',
    flushIntervalMessages: c.flushMessages,
  };
}
