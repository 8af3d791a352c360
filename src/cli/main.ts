#!/usr/bin/env node
// The `tidelog` command: one entry point, a subcommand per tool. Today: `broker`.
// User mistakes print one line and exit non-zero; stack traces are for bugs only.
import { runBroker } from './broker-command.js';
import { UsageError } from './usage-error.js';

const HELP = `Usage: tidelog <command> [options]

Commands:
  broker     Start a broker (tidelog broker --config config/server.properties [--override key=value]...)

Run 'tidelog <command> --help' for a command's options.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'broker':
      return runBroker(rest);
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(`${HELP}\n`);
      return command === undefined ? 1 : 0;
    case '--version':
      process.stdout.write(`${await version()}\n`);
      return 0;
    default:
      throw new UsageError(`unknown command '${command}'. Run 'tidelog --help' for the list.`);
  }
}

async function version(): Promise<string> {
  const { readFileSync } = await import('node:fs');
  const { packageRoot } = await import('./package-root.js');
  return (JSON.parse(readFileSync(`${packageRoot}/package.json`, 'utf8')) as { version: string }).version;
}

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
    if (err instanceof Error && /^E[A-Z]+$/.test(String((err as NodeJS.ErrnoException).code))) {
      process.stderr.write(`tidelog: ${err.message}\n`);
      process.exitCode = 1;
      return;
    }
    process.stderr.write(`tidelog: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);

