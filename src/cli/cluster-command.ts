// `tidelog cluster info`: Redpanda's `rpk cluster info` (alias `rpk cluster metadata`) over
// Metadata. Owns its sections: CLUSTER (the cluster id), BROKERS (id, host, port, rack; the
// controller marked with *) and TOPICS (name, partitions, replicas; --print-detailed-topics
// adds a line per partition). Tables are aligned with two spaces, as rpk's tabwriter does.
import { CONNECTION_HELP, CONNECTION_OPTIONS, connectClient, out, parseFlags } from './common.js';
import { UsageError } from './usage-error.js';

const HELP = `Usage: tidelog cluster info --bootstrap-server HOST:PORT [options]

Print what the cluster metadata says (as rpk cluster info): the cluster id, the brokers (the
controller marked with *) and the topics. With no --print flag: cluster, brokers and topics.

Options:
  --print-cluster, -c             Print the cluster section
  --print-brokers, -b             Print the brokers section
  --print-topics, -t              Print the topics section
  --print-detailed-topics, -d     Print each partition of each topic (implies -t)
  --print-internal-topics, -i     Include internal topics (implies -t)
${CONNECTION_HELP}`;

const OPTIONS = {
  ...CONNECTION_OPTIONS,
  'print-cluster': { type: 'boolean', short: 'c' },
  'print-brokers': { type: 'boolean', short: 'b' },
  'print-topics': { type: 'boolean', short: 't' },
  'print-detailed-topics': { type: 'boolean', short: 'd' },
  'print-internal-topics': { type: 'boolean', short: 'i' },
} as const;

/** rpk's tabwriter: columns padded to the widest cell plus two spaces. */
function tabular(rows: readonly (readonly (string | number)[])[]): string {
  const cells = rows.map((r) => r.map(String));
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 2))).join('').trimEnd()).join('\n');
}

function section(title: string, body: string): string {
  return `${title}\n${'='.repeat(title.length)}\n${body}\n`;
}

export async function runCluster(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === '--help' || sub === '-h') {
    await out(`${HELP}\n`);
    return 0;
  }
  if (sub === undefined) throw new UsageError('tidelog cluster needs a subcommand: info');
  if (sub !== 'info' && sub !== 'metadata') throw new UsageError(`unknown cluster subcommand '${sub}' (tidelog cluster info)`);
  const parsed = parseFlags(rest, OPTIONS, HELP);
  if (!parsed) return 0;
  const v = parsed.values;
  const detailed = v['print-detailed-topics'] === true;
  const internal = v['print-internal-topics'] === true;
  let printCluster = v['print-cluster'] === true;
  let printBrokers = v['print-brokers'] === true;
  let printTopics = v['print-topics'] === true || detailed || internal;
  if (!printCluster && !printBrokers && !printTopics) printCluster = printBrokers = printTopics = true;

  const client = await connectClient(v, 'tidelog-cluster');
  try {
    const md = await client.metadata(printTopics ? null : []);
    const sections: string[] = [];
    if (printCluster) sections.push(section('CLUSTER', md.clusterId ?? ''));
    if (printBrokers) {
      const withRack = md.brokers.some((b) => b.rack !== null);
      const rows: (string | number)[][] = [withRack ? ['ID', 'HOST', 'PORT', 'RACK'] : ['ID', 'HOST', 'PORT']];
      for (const b of [...md.brokers].sort((x, y) => x.nodeId - y.nodeId)) {
        const id = `${b.nodeId}${b.nodeId === md.controllerId ? '*' : ''}`;
        rows.push(withRack ? [id, b.host, b.port, b.rack ?? ''] : [id, b.host, b.port]);
      }
      sections.push(section('BROKERS', tabular(rows)));
    }
    if (printTopics) {
      const topics = [...md.topics].filter((t) => internal || !t.isInternal).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      if (!detailed) {
        const rows: (string | number)[][] = [['NAME', 'PARTITIONS', 'REPLICAS']];
        for (const t of topics) rows.push([t.name, t.partitions.length, t.partitions[0]?.replicas.length ?? 0]);
        sections.push(section('TOPICS', tabular(rows)));
      } else {
        // rpk -d: a header line per topic, then its partitions.
        const blocks: string[] = [];
        for (const t of topics) {
          const rows: (string | number)[][] = [['PARTITION', 'LEADER', 'EPOCH', 'REPLICAS', 'ISR']];
          for (const p of t.partitions) rows.push([p.partition, p.leader, p.leaderEpoch, `[${p.replicas.join(' ')}]`, `[${p.isr.join(' ')}]`]);
          blocks.push(`${t.name}${t.isInternal ? ' (internal)' : ''}, ${t.partitions.length} partition${t.partitions.length === 1 ? '' : 's'}, ${t.partitions[0]?.replicas.length ?? 0} replica${(t.partitions[0]?.replicas.length ?? 0) === 1 ? '' : 's'}\n${tabular(rows)}\n`);
        }
        sections.push(section('TOPICS', blocks.join('\n')));
      }
    }
    await out(sections.join('\n'));
    return 0;
  } finally {
    client.close();
  }
}
