// `tidelog reassign-partitions` mistakes, without a broker: each is one line on stderr and a
// non-zero status, with Kafka's wording where Kafka's tool has one. The tool against a cluster,
// compared with Kafka's own, is in test/cluster/reassignment.test.ts.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { removeDir, tempDir } from '../helpers/broker-process.js';
import { isOneLineError, tidelog } from './run.js';

describe('tidelog reassign-partitions usage', () => {
  const dir = tempDir('tidelog-reassign-usage-');
  after(() => removeDir(dir));
  const B = ['--bootstrap-server', '127.0.0.1:1'];

  it('answers mistakes with one line and a non-zero status', async () => {
    const file = path.join(dir, 'move.json');
    writeFileSync(file, '{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1]}]}');
    const cases: { args: string[]; code: number; message: RegExp }[] = [
      { args: [...B], code: 2, message: /Command must include exactly one action: --generate, --execute, --verify, --cancel, --list/ },
      { args: [...B, '--list', '--execute'], code: 2, message: /exactly one action/ },
      { args: [...B, '--verify'], code: 2, message: /Missing required argument "\[reassignment-json-file\]"/ },
      { args: [...B, '--generate', '--broker-list', '1,2'], code: 2, message: /Missing required argument "\[topics-to-move-json-file\]"/ },
      { args: [...B, '--list', '--throttle', '5'], code: 2, message: /Option "\[throttle\]" can't be used with action "\[list\]"/ },
      { args: ['--list'], code: 2, message: /Please specify either --bootstrap-server/ },
      { args: [...B, '--execute', '--reassignment-json-file', path.join(dir, 'absent.json')], code: 2, message: /absent\.json: ENOENT/ },
      { args: [...B, '--list'], code: 1, message: /cannot connect to any bootstrap server \(127\.0\.0\.1:1\): ECONNREFUSED/ },
      { args: [...B, '--execute', '--reassignment-json-file', file, '--replica-alter-log-dirs-throttle', '5'], code: 2, message: /log directory moves are not supported/ },
    ];
    for (const c of cases) {
      const r = await tidelog(['reassign-partitions', ...c.args]);
      assert.equal(r.code, c.code, `${c.args.join(' ')}: ${r.stderr}`);
      assert.ok(isOneLineError(r), `${c.args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, c.message);
    }
  });

  it('--help lists the actions and Kafka\'s flags', async () => {
    const r = await tidelog(['reassign-partitions', '--help']);
    assert.equal(r.code, 0);
    for (const flag of ['--generate', '--execute', '--verify', '--cancel', '--list', '--reassignment-json-file', '--topics-to-move-json-file', '--broker-list', '--throttle', '--additional', '--preserve-throttles']) assert.match(r.stdout, new RegExp(`${flag}\\b`));
  });
});
