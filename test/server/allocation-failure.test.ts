// A frame whose buffer cannot be allocated closes that connection only: a broker whose address
// space is limited (prlimit --as) gets a 1.9 GB request, logs a warning, closes that
// connection and goes on serving kcat on another. Before the guard the RangeError ("Array
// buffer allocation failed") escaped the socket's read callback and ended the process.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import { describe, it } from 'node:test';
import { cliPath, removeDir, tempDir } from '../helpers/broker-process.js';
import { kcat } from '../helpers/kcat.js';

/** Address space for the broker: room for Node and the broker, not for a 1.9 GB buffer. */
const ADDRESS_SPACE_BYTES = 2500 * 1024 * 1024;
const FRAME_BYTES = 1_900_000_000;

describe('a frame that cannot be allocated', { timeout: 120_000 }, () => {
  it('closes its connection and leaves the broker serving the others', { skip: spawnSync('prlimit', ['--version']).status !== 0 && 'prlimit (util-linux) is not installed' }, async () => {
    const dataDir = tempDir();
    const broker = spawn(
      'prlimit',
      [`--as=${ADDRESS_SPACE_BYTES}`, process.execPath, cliPath, 'broker', '--override', `log.dirs=${dataDir}`, '--override', 'listeners=PLAINTEXT://127.0.0.1:0', '--override', 'admin.listener=', '--override', `socket.request.max.bytes=${FRAME_BYTES + 1000}`, '--override', 'queued.max.request.bytes=-1'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let log = '';
    try {
      const port = await new Promise<number>((resolve, reject) => {
        broker.stdout!.on('data', (chunk: Buffer) => {
          log += chunk.toString();
          const m = /"port":(\d+),"msg":"listening"/.exec(log);
          if (m) resolve(Number(m[1]));
        });
        broker.once('exit', (code) => reject(new Error(`broker exited with ${code}: ${log}`)));
      });
      const closed = await new Promise<boolean>((resolve) => {
        const socket = net.connect(port, '127.0.0.1', () => {
          const size = Buffer.alloc(4);
          size.writeInt32BE(FRAME_BYTES);
          socket.write(Buffer.concat([size, Buffer.alloc(64)]));
        });
        socket.on('error', () => {});
        socket.on('close', () => resolve(true));
      });
      assert.ok(closed, 'the connection with the frame is closed');
      const produced = await kcat(['-b', `127.0.0.1:${port}`, '-t', 'after-alloc', '-P'], 'still here\n');
      assert.equal(produced.code, 0, produced.stderr);
      const consumed = await kcat(['-b', `127.0.0.1:${port}`, '-t', 'after-alloc', '-C', '-e', '-q']);
      assert.equal(consumed.stdout, 'still here\n');
      assert.equal(broker.exitCode, null, 'the broker is still running');
      const warning = log.split('\n').find((l) => l.includes('request could not be read'));
      assert.ok(warning && JSON.parse(warning).level === 40 && warning.includes('Array buffer allocation failed'), log);
    } finally {
      broker.kill('SIGTERM');
      if (broker.exitCode === null) await new Promise((resolve) => broker.once('exit', resolve));
      removeDir(dataDir);
    }
  });
});
