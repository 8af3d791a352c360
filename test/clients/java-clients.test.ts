// Real third-party client: Apache Kafka's own Java clients 4.x (from the jars
// scripts/fetch-kafka.sh fetches). The producer with its defaults (idempotence on, so
// InitProducerId and sequence numbers; acks=all), then consumer groups with the eager range
// assignor and with the cooperative-sticky assignor (incremental rebalancing), each reading
// every record.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ensureKafkaLibs, KAFKA_MAIN, runKafkaClass, type KafkaLibs } from '../../bench/kafka-dist.js';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { scrapeMetric } from '../helpers/limits.js';
import { kcat } from '../helpers/kcat.js';

const RECORDS = 20_000;
const CONSOLE_CONSUMER = 'org.apache.kafka.tools.consumer.ConsoleConsumer';

describe('Java clients (Apache Kafka 4.x)', { timeout: 300_000 }, () => {
  let broker: BrokerProcess;
  let libs: KafkaLibs;

  before(async () => {
    libs = await ensureKafkaLibs();
    broker = await startBrokerProcess({ overrides: { 'num.partitions': 3, 'group.initial.rebalance.delay.ms': 0 } });
  });

  after(async () => {
    await broker.stop();
    removeDir(broker.dataDir);
  });

  it('the producer with its defaults (idempotent, acks=all) writes every record once', async () => {
    const r = await runKafkaClass(libs, KAFKA_MAIN.producerPerformance, ['--topic', 'java', '--num-records', String(RECORDS), '--record-size', '100', '--throughput', '-1', '--bootstrap-server', broker.bootstrap, '--command-property', 'acks=all'], { heap: '256M', timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^${RECORDS} records sent`, 'm'));
    // Count with an independent client: the three partitions' end offsets add up to what was sent.
    const meta = await kcat(['-b', broker.bootstrap, '-C', '-t', 'java', '-e', '-o', 'beginning', '-q', '-f', '.']);
    assert.equal(meta.code, 0, meta.stderr);
    assert.equal(meta.stdout.length, RECORDS, 'no record lost or duplicated');
  });

  for (const assignor of ['RangeAssignor', 'CooperativeStickyAssignor']) {
    it(`a consumer group with the ${assignor} reads every record`, async () => {
      const r = await runKafkaClass(
        libs,
        CONSOLE_CONSUMER,
        ['--bootstrap-server', broker.bootstrap, '--topic', 'java', '--group', `java-${assignor}`, '--from-beginning', '--max-messages', String(RECORDS), '--timeout-ms', '30000', '--consumer-property', `partition.assignment.strategy=org.apache.kafka.clients.consumer.${assignor}`],
        { heap: '256M', timeoutMs: 120_000 },
      );
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, new RegExp(`Processed a total of ${RECORDS} messages`));
      // ProducerPerformance's values are 100 random letters; other stdout lines are notices.
      assert.equal(r.stdout.split('\n').filter((l) => /^[A-Z]{100}$/.test(l)).length, RECORDS);
    });
  }

  it('the consumer fetched through incremental fetch sessions (KIP-227)', async () => {
    // The Java consumer opens a session with its first full fetch and then fetches incrementally.
    assert.ok((await scrapeMetric(broker.adminUrl!, 'tidelog_fetch_sessions_created_total')) >= 1);
  });
});
