// `tidelog broker-api-versions`: Kafka's kafka-broker-api-versions.sh
// (org.apache.kafka.tools.BrokerApiVersionsCommand) over ApiVersions, asked of every broker in
// the metadata. Owns Kafka's per-broker block (NodeApiVersions.toString(true)):
//   127.0.0.1:9092 (id: 0 rack: null isFenced: false) -> (
//   	Produce(0): 3 to 11 [usable: 11],
//   	...
//   )
// "usable" is the highest version both the broker and this tool's codecs speak; an API that
// clients send to brokers and the broker does not serve is UNSUPPORTED.
import { apiKeys, type ApiInfo } from '../protocol/generated/index.js';
import { CONNECTION_HELP, CONNECTION_OPTIONS, connectClient, out, parseFlags } from './common.js';

const HELP = `Usage: tidelog broker-api-versions --bootstrap-server HOST:PORT

Print the API versions each broker serves (as kafka-broker-api-versions.sh).

Options:
${CONNECTION_HELP}`;

const OPTIONS = { ...CONNECTION_OPTIONS } as const;

export async function runBrokerApiVersions(args: string[]): Promise<number> {
  const parsed = parseFlags(args, OPTIONS, HELP);
  if (!parsed) return 0;
  const client = await connectClient(parsed.values, 'tidelog-broker-api-versions');
  try {
    const md = await client.metadata([]);
    const blocks: string[] = [];
    for (const b of [...md.brokers].sort((x, y) => x.nodeId - y.nodeId)) {
      const node = `${b.host}:${b.port} (id: ${b.nodeId} rack: ${b.rack ?? 'null'} isFenced: false)`;
      try {
        const conn = await client.broker(b.nodeId);
        blocks.push(`${node} -> ${formatVersions(conn.apiVersions)}\n`);
      } catch (err) {
        blocks.push(`${node} -> ERROR: ${(err as Error).message}\n`);
      }
    }
    await out(blocks.join(''));
    return 0;
  } finally {
    client.close();
  }
}

/** Kafka's NodeApiVersions.toString(true): every served API and every client API, by key. */
export function formatVersions(served: ReadonlyMap<number, { min: number; max: number }>): string {
  const codecs = Object.values(apiKeys) as ApiInfo[];
  const known = new Map(codecs.map((c) => [c.apiKey, c]));
  const lines = new Map<number, string>();
  for (const [key, range] of served) {
    const codec = known.get(key);
    const versions = range.min === range.max ? `${range.min}` : `${range.min} to ${range.max}`;
    if (!codec) {
      lines.set(key, `UNKNOWN(${key}): ${versions}`);
      continue;
    }
    let usable: string;
    if (codec.maxVersion < range.min) usable = '[unusable: node too new]';
    else if (range.max < codec.minVersion) usable = '[unusable: node too old]';
    else usable = `[usable: ${Math.min(codec.maxVersion, range.max)}]`;
    lines.set(key, `${codec.name}(${key}): ${versions} ${usable}`);
  }
  // Kafka lists the APIs a client may send to a broker (ApiKeys.clientApis()) even when not served.
  for (const c of codecs) if (!lines.has(c.apiKey) && c.listeners.includes('broker')) lines.set(c.apiKey, `${c.name}(${c.apiKey}): UNSUPPORTED`);
  const ordered = [...lines].sort((a, b) => a[0] - b[0]).map(([, line]) => line);
  return `(\n\t${ordered.join(',\n\t')}\n)`;
}
