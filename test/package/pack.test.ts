// The package as users get it: `npm pack` of this checkout (as built by `npm test`), installed
// with npm into an empty project from the registry, on a PATH without Rust's cargo. It ships
// no tests or benchmarks, carries this platform's prebuilt addon, and runs: `npx tidelog
// broker` serves kcat, `tidelog --version` answers, and `import { startBroker } from 'tidelog'`
// works from the consumer's code.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { platformName } from '../../src/native-target.js';
import { repoRoot } from '../helpers/broker-process.js';
import { kcat } from '../helpers/kcat.js';

/** A PATH with node and the system's tools but not ~/.cargo/bin: the package must not need Rust. */
function pathWithoutCargo(): string {
  return (process.env.PATH ?? '').split(':').filter((dir) => spawnSync('test', ['-x', path.join(dir, 'cargo')]).status !== 0).join(':');
}

describe('the npm package', { timeout: 300_000 }, () => {
  it('packs without tests, installs without Rust, and runs the broker and the embedded API', async () => {
    const work = mkdtempSync(path.join(os.tmpdir(), 'tidelog-pack-'));
    try {
      // --ignore-scripts: `npm test` has just built dist/ and the addon; prepare would rebuild them under the running suite.
      const packed = spawnSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: repoRoot, encoding: 'utf8' });
      assert.equal(packed.status, 0, packed.stderr);
      const [info] = JSON.parse(packed.stdout) as [{ filename: string; files: { path: string }[] }];
      const files = info.files.map((f) => f.path);
      assert.ok(files.includes(`native/tidelog.${platformName()}.node`), 'the prebuilt addon of this platform');
      assert.ok(files.includes('dist/bundle/tidelog.mjs') && files.includes('dist/src/index.d.ts') && files.includes('config/server.properties'));
      assert.ok(files.includes('crates/storage/src/log.rs') && files.includes('scripts/addon-install.mjs'), 'the Rust sources, to build on other platforms');
      assert.deepEqual(files.filter((f) => /^(dist\/)?(test|bench)\//.test(f) || f.endsWith('.test.js')), [], 'no tests or benchmarks');

      const project = path.join(work, 'project');
      spawnSync('mkdir', [project]);
      writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', type: 'module' }));
      const env = { ...process.env, PATH: pathWithoutCargo() };
      assert.notEqual(spawnSync('cargo', ['--version'], { env }).status, 0, 'cargo is out of reach');
      const installed = spawnSync('npm', ['install', '--no-audit', '--no-fund', path.join(work, info.filename)], { cwd: project, env, encoding: 'utf8' });
      assert.equal(installed.status, 0, installed.stderr);
      assert.ok(readdirSync(path.join(project, 'node_modules', 'tidelog', 'native')).includes(`tidelog.${platformName()}.node`));

      const version = spawnSync('npx', ['tidelog', '--version'], { cwd: project, env, encoding: 'utf8' });
      assert.equal(version.stdout.trim(), JSON.parse(spawnSync('node', ['-p', 'JSON.stringify(require("./package.json").version)'], { cwd: repoRoot, encoding: 'utf8' }).stdout));

      // npx tidelog broker, on an ephemeral port (read from its log), then kcat through it.
      // In a process group of its own: npx does not always pass SIGTERM on to the broker it
      // started, so the whole group is signalled, and the test waits for every process of it
      // (the broker holds the pipes until it exits).
      const broker = spawn('npx', ['tidelog', 'broker', '--config', 'node_modules/tidelog/config/server.properties', '--override', `log.dirs=${path.join(work, 'data')}`, '--override', 'listeners=PLAINTEXT://127.0.0.1:0', '--override', 'admin.listener=http://127.0.0.1:0'], { cwd: project, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      broker.stderr!.resume();
      const pipesClosed = Promise.all([once(broker.stdout!, 'close'), once(broker.stderr!, 'close')]);
      try {
        const [port, adminUrl] = await new Promise<[number, string]>((resolve, reject) => {
          let out = '';
          broker.stdout!.on('data', (chunk: Buffer) => {
            out += chunk.toString();
            const kafka = /"port":(\d+),"msg":"listening"/.exec(out);
            const admin = /"url":"([^"]+)"[^}]*"msg":"admin listening"/.exec(out);
            if (kafka && admin) resolve([Number(kafka[1]), admin[1]!]);
          });
          broker.once('exit', (code) => reject(new Error(`broker exited with ${code}: ${out}`)));
        });
        // The bin is the bundle (dist/bundle/): its admin API loads fastify from the install's node_modules, the console from dist/console/.
        const cluster = (await (await fetch(`${adminUrl}/v1/cluster`)).json()) as { brokers: unknown[] };
        assert.equal(cluster.brokers.length, 1);
        const page = await fetch(`${adminUrl}/console`);
        assert.equal(page.status, 200);
        assert.match(await page.text(), /<script[^>]+console\.[0-9a-f]+\.js/);
        const produced = await kcat(['-b', `127.0.0.1:${port}`, '-t', 'packed', '-P'], 'one\ntwo\n');
        assert.equal(produced.code, 0, produced.stderr);
        const consumed = await kcat(['-b', `127.0.0.1:${port}`, '-t', 'packed', '-C', '-e', '-q']);
        assert.deepEqual(consumed.stdout.trim().split('\n'), ['one', 'two']);
      } finally {
        process.kill(-broker.pid!, 'SIGTERM');
        await pipesClosed;
      }

      // The embedded broker from the consumer's own code.
      writeFileSync(path.join(project, 'embedded.mjs'), "import { startBroker } from 'tidelog';\nconst b = await startBroker();\nconsole.log(b.bootstrap.startsWith('127.0.0.1:'));\nawait b.close();\n");
      const embedded = spawnSync(process.execPath, ['embedded.mjs'], { cwd: project, env, encoding: 'utf8' });
      assert.equal(embedded.stdout.trim(), 'true', embedded.stderr);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
