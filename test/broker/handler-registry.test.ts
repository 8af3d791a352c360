// The handler registry (src/broker/handlers/index.ts) lists each served API's versions so that
// ApiVersions answers without loading the handlers, which load on an API's first request: the
// listed versions must be the handler's own, and every handler file must be listed.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { servedApis, supportedApiVersions } from '../../src/broker/handlers/index.js';
import { getApi } from '../../src/protocol/generated/index.js';

// This file runs as dist/test/broker/handler-registry.test.js: the compiled handlers are in dist/src/broker/handlers.
const handlersDir = fileURLToPath(new URL('../../src/broker/handlers/', import.meta.url));

describe('the handler registry', () => {
  it("lists each API once, with the versions its handler declares, within Kafka's", async () => {
    const keys = servedApis.map((s) => s.apiKey);
    assert.equal(new Set(keys).size, keys.length, 'an API listed twice');
    for (const served of servedApis) {
      const handler = await served.load();
      const kafka = getApi(served.apiKey)!;
      assert.deepEqual(
        { apiKey: handler.apiKey, minVersion: handler.minVersion, maxVersion: handler.maxVersion },
        { apiKey: served.apiKey, minVersion: served.minVersion, maxVersion: served.maxVersion },
        kafka.name,
      );
      assert.ok(served.minVersion >= kafka.minVersion && served.maxVersion <= kafka.maxVersion, `${kafka.name} v${served.minVersion}-${served.maxVersion}`);
    }
  });

  it('lists every handler file (NN-name.js) under src/broker/handlers', async () => {
    const listed = new Set(servedApis.map((s) => s.apiKey));
    const files = readdirSync(handlersDir).filter((f) => /^\d\d-.*\.js$/.test(f));
    assert.ok(files.length >= servedApis.length, `${files.length} handler files`);
    for (const file of files) {
      const apiKey = Number(file.slice(0, 2));
      assert.ok(listed.has(apiKey as never), `${file} is not in handlers/index.ts`);
      const mod = (await import(pathToFileURL(path.join(handlersDir, file)).href)) as Record<string, unknown>;
      assert.ok(Object.keys(mod).some((name) => name.endsWith('Handler')), `${file} exports no handler`);
    }
  });

  it('gives ApiVersions every served API, sorted by key', () => {
    const versions = supportedApiVersions();
    assert.deepEqual(
      versions.map((v) => v.apiKey),
      servedApis.map((s) => s.apiKey).sort((a, b) => a - b),
    );
    assert.ok(versions.some((v) => v.apiKey === 0 && v.maxVersion >= 9), 'Produce');
  });
});
