#!/usr/bin/env node
// The `tidelog` command: one entry point, a subcommand per tool (Kafka's bin/ scripts
// without the kafka- prefix). User mistakes print one line and exit non-zero; stack traces
// are for bugs only.
import module from 'node:module';
import { UsageError } from './usage-error.js';

performance.mark('tidelog:main');

// V8's compile cache for every module loaded after this line (the broker's graph is all
// dynamic imports from here): Node 22.1+ keeps compiled code in NODE_COMPILE_CACHE's
// directory (else its default under the temp directory) and reuses it on the next start. Older
// Node has no enableCompileCache: nothing happens; TIDELOG_COMPILE_CACHE=0 turns it off.
const compileCache = (module as { enableCompileCache?: (dir?: string) => { status: number; message?: string } }).enableCompileCache;
if (typeof compileCache === 'function' && process.env.TIDELOG_COMPILE_CACHE !== '0') {
  try {
    compileCache();
  } catch {
    // An unwritable cache directory only costs the cache.
  }
}

const HELP = `Usage: tidelog <command> [options]

Commands:
  broker             Start a broker (tidelog broker --config config/server.properties [--override key=value]...)
  topics             Create, list, describe, alter and delete topics
  console-producer   Send lines of standard input as records
  console-consumer   Print records of a topic
  consumer-groups    List, describe (with lag), reset offsets of and delete consumer groups
  share-groups       List, describe, reset offsets of and delete share groups (KIP-932)
  configs            Describe and alter topic configs
  producer-perf      Measure produce throughput and latency
  consumer-perf      Measure consume throughput
  get-offsets        Print partition offsets (earliest, latest, max-timestamp, or by time)
  delete-records     Delete the records of partitions below an offset
  leader-election    Elect preferred (or unclean) partition leaders
  reassign-partitions  Move partitions between brokers: generate, execute, verify, cancel, list (throttled)
  log-dirs           Describe brokers' log directories (partition sizes) as JSON
  broker-api-versions  Print the API versions each broker serves
  cluster            Cluster info: id, brokers, topics (tidelog cluster info)
  dump-log           Print the batches, records and index entries of segment files on disk
  transactions       List, describe and abort transactions; producers of a partition; hanging transactions
  acls               Add, remove and list ACLs (kafka-acls.sh)

Run 'tidelog <command> --help' for a command's options.`;

type Command = (args: string[]) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  broker: async () => (await import('./broker-command.js')).runBroker,
  topics: async () => (await import('./topics-command.js')).runTopics,
  'console-producer': async () => (await import('./console-producer.js')).runConsoleProducer,
  'console-consumer': async () => (await import('./console-consumer.js')).runConsoleConsumer,
  'consumer-groups': async () => (await import('./consumer-groups-command.js')).runConsumerGroups,
  'share-groups': async () => (await import('./share-groups-command.js')).runShareGroups,
  configs: async () => (await import('./configs-command.js')).runConfigs,
  'producer-perf': async () => (await import('./producer-perf.js')).runProducerPerf,
  'consumer-perf': async () => (await import('./consumer-perf.js')).runConsumerPerf,
  'get-offsets': async () => (await import('./get-offsets-command.js')).runGetOffsets,
  'delete-records': async () => (await import('./delete-records-command.js')).runDeleteRecords,
  'leader-election': async () => (await import('./leader-election-command.js')).runLeaderElection,
  'reassign-partitions': async () => (await import('./reassign-partitions-command.js')).runReassignPartitions,
  'log-dirs': async () => (await import('./log-dirs-command.js')).runLogDirs,
  'broker-api-versions': async () => (await import('./broker-api-versions-command.js')).runBrokerApiVersions,
  cluster: async () => (await import('./cluster-command.js')).runCluster,
  'dump-log': async () => (await import('./dump-log-command.js')).runDumpLog,
  transactions: async () => (await import('./transactions-command.js')).runTransactions,
  acls: async () => (await import('./acls-command.js')).runAcls,
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(`${HELP}\n`);
      return command === undefined ? 1 : 0;
    case '--version':
      process.stdout.write(`${await version()}\n`);
      return 0;
  }
  const load = COMMANDS[command];
  if (!load) throw new UsageError(`unknown command '${command}'. Run 'tidelog --help' for the list.`);
  return (await load())(rest);
}

async function version(): Promise<string> {
  const { readFileSync } = await import('node:fs');
  const { packageRoot } = await import('../package-root.js');
  return (JSON.parse(readFileSync(`${packageRoot}/package.json`, 'utf8')) as { version: string }).version;
}

/** Errors that are the user's or the environment's, not bugs: one line, no stack. */
const ONE_LINE_ERRORS = new Set(['StartupError', 'CliError', 'KafkaClientError', 'CompressionError', 'RecordBatchError']);

// A reader that goes away (tidelog console-consumer ... | head) is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError || (err instanceof Error && err.name === 'ConfigError')) {
      process.stderr.write(`tidelog: ${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    // A system error (EADDRINUSE, ECONNREFUSED, ENOENT, ...) is the environment, not a bug.
    if (err instanceof Error && (ONE_LINE_ERRORS.has(err.name) || /^E[A-Z]+$/.test(String((err as NodeJS.ErrnoException).code)))) {
      process.stderr.write(`tidelog: ${err.message}\n`);
      process.exitCode = 1;
      return;
    }
    process.stderr.write(`tidelog: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
