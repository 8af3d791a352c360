// `tidelog log-dirs`: Kafka's kafka-log-dirs.sh (org.apache.kafka.tools.LogDirsCommand) over
// DescribeLogDirs, asked of each broker. Owns the broker and topic filters and Kafka's output:
// two progress lines, then one line of JSON
// {"brokers":[{"broker":0,"logDirs":[{"partitions":[{"partition":"t-0","size":0,"offsetLag":0,"isFuture":false}],"error":null,"logDir":"/data"}]}],"version":1}.
import { ErrorCode, errorName } from '../protocol/errors.js';
import { CONNECTION_OPTIONS, connectClient, out, parseFlags } from './common.js';
import { CliError, UsageError } from './usage-error.js';

const HELP = `Usage: tidelog log-dirs --bootstrap-server HOST:PORT --describe [--broker-list 0,1] [--topic-list t1,t2]

Describe the log directories of brokers (as kafka-log-dirs.sh): each dir's partitions with their
size in bytes, as JSON.

Options:
  --describe                Describe log dirs (required: the only action)
  --broker-list LIST        Comma-separated broker ids (default: every broker)
  --topic-list LIST         Comma-separated topics (default: every topic)
  --bootstrap-server HOST:PORT[,HOST:PORT]   The broker(s) to connect to (required)
  --command-config FILE                      Client properties (client.id, request.timeout.ms, bootstrap.servers)
  --help                                     This help`;

// kafka-log-dirs.sh's --broker-list names broker ids, not the bootstrap list other tools accept under that name.
const OPTIONS = {
  ...CONNECTION_OPTIONS,
  describe: { type: 'boolean' },
  'broker-list': { type: 'string' },
  'topic-list': { type: 'string' },
} as const;

export async function runLogDirs(args: string[]): Promise<number> {
  const parsed = parseFlags(args, OPTIONS, HELP);
  if (!parsed) return 0;
  const v = parsed.values;
  if (!v.describe) throw new UsageError('--describe is required');
  const wantedBrokers = v['broker-list'] === undefined ? null : idList(v['broker-list']);
  const topics = new Set((v['topic-list'] ?? '').split(',').map((t) => t.trim()).filter((t) => t.length > 0));

  const client = await connectClient({ 'bootstrap-server': v['bootstrap-server'], zookeeper: v.zookeeper, 'command-config': v['command-config'] }, 'tidelog-log-dirs');
  try {
    const md = await client.metadata([]);
    const existing = md.brokers.map((b) => b.nodeId).sort((a, b) => a - b);
    if (wantedBrokers !== null) {
      const missing = wantedBrokers.filter((b) => !existing.includes(b));
      if (missing.length > 0) throw new CliError(`ERROR: The given brokers do not exist from --broker-list: ${missing.join(',')}. Current existent brokers: ${existing.join(',')}`);
    }
    const brokers = wantedBrokers ?? existing;
    await out('Querying brokers for log directories information\n');
    const described = [];
    for (const broker of brokers) {
      const res = await client.describeLogDirs(broker, null);
      if (res.errorCode !== ErrorCode.NONE) throw new CliError(`broker ${broker} answered DescribeLogDirs with ${errorName(res.errorCode)}`);
      described.push({
        broker,
        logDirs: res.results.map((d) => ({
          partitions: d.topics
            .filter((t) => topics.size === 0 || topics.has(t.name))
            .flatMap((t) => t.partitions.map((p) => ({ partition: `${t.name}-${p.partitionIndex}`, size: p.partitionSize, offsetLag: p.offsetLag, isFuture: p.isFutureKey }))),
          // Kafka names the exception class of a failed dir; null when the dir is fine.
          error: d.errorCode === ErrorCode.NONE ? null : errorName(d.errorCode),
          logDir: d.logDir,
        })),
      });
    }
    await out(`Received log directory information from brokers ${brokers.join(',')}\n`);
    await out(`${JSON.stringify({ brokers: described, version: 1 })}\n`);
    return 0;
  } finally {
    client.close();
  }
}

function idList(list: string): number[] {
  return list.split(',').map((s) => {
    if (!/^\d+$/.test(s.trim())) throw new UsageError(`--broker-list expects comma-separated broker ids, got '${list}'`);
    return Number(s.trim());
  });
}
