// Membership and controller election against a real ZooKeeper, brokers as in-process
// ZkClients: Kafka's JSON in /brokers/ids/<id>, /cluster/id, /controller and
// /controller_epoch; a duplicate broker id refused with Kafka's message; registration again
// after a session expiry; exactly one controller, and another one (epoch + 1) when it goes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../../src/logger.js';
import { ZkClient } from '../../src/cluster/zk-client.js';
import { BrokerRegistration, createTopLevelPaths, getOrCreateClusterId } from '../../src/cluster/broker-registration.js';
import { ControllerElection } from '../../src/cluster/controller-election.js';
import type { Listener } from '../../src/config/listeners.js';
import { startZooKeeper, type ZooKeeperServer } from './zookeeper.js';
import { waitFor } from '../helpers/wait.js';

const listeners = (port: number): Listener[] => [{ name: 'PLAINTEXT', host: '127.0.0.1', port, securityProtocol: 'PLAINTEXT' }];

function stallEventLoop(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // busy: the sessions of this process hear nothing
  }
}

describe('membership and controller election', { timeout: 120_000 }, () => {
  let zk: ZooKeeperServer;
  const clients: ZkClient[] = [];
  const connect = async (chroot: string, sessionTimeoutMs = 4000) => {
    const c = await ZkClient.connect({ connect: `${zk.connect}${chroot}`, sessionTimeoutMs, connectionTimeoutMs: 10_000, logger: silentLogger() });
    clients.push(c);
    return c;
  };
  before(async () => {
    zk = await startZooKeeper();
  });
  after(async () => {
    for (const c of clients) c.close();
    await zk.close();
  });

  it("registers with Kafka's JSON, refuses a duplicate id, and registers again after a session expiry", async () => {
    const a = await connect('/reg', 1000);
    await createTopLevelPaths(a);
    const clusterId = await getOrCreateClusterId(a, null);
    assert.match(clusterId, /^[A-Za-z0-9_-]{22}$/);
    const b = await connect('/reg');
    assert.equal(await getOrCreateClusterId(b, null), clusterId, 'the second broker reads the first one\'s id');
    await assert.rejects(getOrCreateClusterId(b, 'another-id'), /cluster\.id another-id does not match the cluster id .* stored in ZooKeeper at \/cluster\/id/);
    assert.deepEqual(JSON.parse((await a.getData('/cluster/id'))!.data.toString()), { version: '1', id: clusterId });

    const reg = new BrokerRegistration(a, 1, () => listeners(9092), 'rack-a', silentLogger());
    await reg.register();
    const node = await b.getData('/brokers/ids/1');
    const json = JSON.parse(node!.data.toString()) as Record<string, unknown>;
    assert.deepEqual({ ...json, timestamp: 'T' }, {
      features: {},
      listener_security_protocol_map: { PLAINTEXT: 'PLAINTEXT' },
      endpoints: ['PLAINTEXT://127.0.0.1:9092'],
      jmx_port: -1,
      host: '127.0.0.1',
      port: 9092,
      timestamp: 'T',
      version: 5,
      rack: 'rack-a',
    });
    assert.ok(Math.abs(Number(json.timestamp) - Date.now()) < 60_000);
    assert.equal(node!.ephemeralOwner, a.sessionId);

    const duplicate = new BrokerRegistration(b, 1, () => listeners(9093), null, silentLogger());
    await assert.rejects(duplicate.register(), /^ZkError: Error while creating ephemeral at \/brokers\/ids\/1, node already exists and owner '\d+' does not match current session '\d+'$/);

    const oldSession = a.sessionId;
    stallEventLoop(2500);
    await waitFor('registered again on the new session', async () => {
      const again = await b.getData('/brokers/ids/1');
      return again !== null && again.ephemeralOwner !== oldSession && again.ephemeralOwner === a.sessionId;
    });
    await reg.deregister();
    assert.equal(await b.getData('/brokers/ids/1'), null);
  });

  it('elects exactly one controller and another, with the next epoch, when it goes', async () => {
    const elections: { id: number; client: ZkClient; election: ControllerElection; became: number[] }[] = [];
    for (const id of [1, 2, 3]) {
      const client = await connect('/elect');
      await createTopLevelPaths(client);
      const became: number[] = [];
      const election = new ControllerElection(client, id, { onBecomeController: (ctx) => void became.push(ctx.epoch), onResign: () => undefined }, silentLogger());
      elections.push({ id, client, election, became });
    }
    await Promise.all(elections.map((e) => e.election.start()));
    await waitFor('everyone knows the controller', () => elections.every((e) => e.election.controllerId !== -1));
    const leaders = elections.filter((e) => e.election.isController);
    assert.equal(leaders.length, 1, 'exactly one controller');
    const first = leaders[0]!;
    assert.ok(elections.every((e) => e.election.controllerId === first.id));
    assert.deepEqual(first.became, [1]);
    const observer = await connect('/elect');
    assert.equal((await observer.getData('/controller_epoch'))!.data.toString(), '1');
    const controllerJson = JSON.parse((await observer.getData('/controller'))!.data.toString()) as Record<string, unknown>;
    assert.deepEqual({ ...controllerJson, timestamp: 'T' }, { version: 1, brokerid: first.id, timestamp: 'T' });

    // The controller's session ends (as when its process dies): another broker takes over.
    first.client.close();
    const rest = elections.filter((e) => e !== first);
    await waitFor('another controller', () => rest.some((e) => e.election.isController));
    const second = rest.find((e) => e.election.isController)!;
    assert.deepEqual(second.became, [2]);
    assert.equal((await observer.getData('/controller_epoch'))!.data.toString(), '2');
    await waitFor('everyone knows the new controller', () => rest.every((e) => e.election.controllerId === second.id));
    assert.equal(rest.filter((e) => e.election.isController).length, 1);

    // A clean stop hands over at once.
    await second.election.stop();
    const third = rest.find((e) => e !== second)!;
    await waitFor('the last broker takes over', () => third.election.isController);
    assert.deepEqual(third.became, [3]);
    await third.election.stop();
  });
});
