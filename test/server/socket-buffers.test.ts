// socket.send.buffer.bytes and socket.receive.buffer.bytes on a real broker process: each
// accepted connection gets them as SO_SNDBUF and SO_RCVBUF (which Linux stores doubled), and
// -1 leaves both to the OS. The broker's side of the connection is read with `ss` (iproute2),
// which asks the kernel for the socket's memory figures.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import { encodeRequest } from '../../src/protocol/framing.js';
import { ApiKey, loadAllApiCodecs } from '../../src/protocol/generated/index.js';
import { removeDir, startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';

// The framing functions used here are synchronous: every API's codecs first.
await loadAllApiCodecs();

interface SocketBuffers {
  receive: number;
  send: number;
}

/**
 * A connection the broker has answered an ApiVersions request on: `ss` lists a socket as
 * established while it still waits in the accept queue, before the broker has set anything.
 */
async function answeredConnection(port: number): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.write(Buffer.from(encodeRequest(ApiKey.ApiVersions, 3, 1, 'socket-buffers-test', { clientSoftwareName: 'test', clientSoftwareVersion: '1' })));
  await new Promise<void>((resolve, reject) => socket.once('data', () => resolve()).once('error', reject));
  return socket;
}

/** SO_RCVBUF and SO_SNDBUF of the established TCP socket from `localPort` to `peerPort`. */
function buffersOf(localPort: number, peerPort: number): SocketBuffers | undefined {
  const out = execFileSync('ss', ['-tmn', 'state', 'established', `( sport = :${localPort} and dport = :${peerPort} )`], { encoding: 'utf8' });
  const m = /skmem:\(r\d+,rb(\d+),t\d+,tb(\d+)/.exec(out);
  return m ? { receive: Number(m[1]), send: Number(m[2]) } : undefined;
}

/** Both ends of one new connection to the broker, once the broker has accepted it. */
async function newConnection(broker: BrokerProcess): Promise<{ brokerSide: SocketBuffers; clientSide: SocketBuffers; socket: net.Socket }> {
  const socket = await answeredConnection(broker.port);
  const clientPort = socket.localPort!;
  for (let attempt = 0; attempt < 100; attempt++) {
    const brokerSide = buffersOf(broker.port, clientPort);
    const clientSide = buffersOf(clientPort, broker.port);
    if (brokerSide && clientSide) return { brokerSide, clientSide, socket };
    await new Promise((r) => setTimeout(r, 50));
  }
  socket.destroy();
  throw new Error(`no established connection between ports ${broker.port} and ${clientPort}`);
}

describe('socket buffer sizes of client connections', { timeout: 60_000 }, () => {
  const brokers: BrokerProcess[] = [];

  after(async () => {
    for (const b of brokers) {
      await b.stop();
      removeDir(b.dataDir);
    }
  });

  it('sets SO_SNDBUF and SO_RCVBUF from socket.send.buffer.bytes and socket.receive.buffer.bytes', async () => {
    const broker = await startBrokerProcess({ overrides: { 'socket.send.buffer.bytes': 65536, 'socket.receive.buffer.bytes': 49152 } });
    brokers.push(broker);
    const { brokerSide, socket } = await newConnection(broker);
    // Linux doubles what setsockopt asks for.
    assert.deepEqual(brokerSide, { send: 131072, receive: 98304 });
    socket.destroy();
  });

  it('leaves both buffers to the OS at -1, as an unconfigured socket has them', async () => {
    const broker = await startBrokerProcess({ overrides: { 'socket.send.buffer.bytes': -1, 'socket.receive.buffer.bytes': -1 } });
    brokers.push(broker);
    const { brokerSide, clientSide, socket } = await newConnection(broker);
    assert.deepEqual(brokerSide, clientSide);
    assert.notDeepEqual(brokerSide, { send: 131072, receive: 98304 });
    socket.destroy();
  });
});
