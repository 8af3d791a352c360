// The contract between the network layer and whoever answers requests: a request is one
// frame (without its 4-byte size); an answer is the framed response as parts, where a part is
// either bytes or a file range sent with sendfile (record bytes of a fetch), or read into a
// reused buffer and encrypted on a TLS socket.
import type { Socket } from 'node:net';
import type { Listener } from '../config/listeners.js';
import type { KafkaPrincipal } from '../security/principal.js';

/** Bytes that live in a file and go to the socket without passing through JS. */
export interface FileRange {
  readonly byteLength: number;
  /**
   * Sends `head`, the range and `tail` on the calling thread, as far as it can without
   * blocking it (sendfile from the page cache until the socket is full; nothing at all if
   * some page would have to come from disk). Returns the bytes sent, counting `head` first.
   */
  trySendTo(fd: number, head: Buffer, tail: Buffer): number;
  /**
   * Sends the range from byte `skip` on to a socket fd (sendfile, off the event loop, waiting
   * while the socket is full); resolves with the bytes this call sent.
   */
  sendTo(fd: number, skip: number): Promise<number>;
  /**
   * Copies the range's bytes from byte `skip` on into `dest` from `destOffset` (as many as
   * fit) on the calling thread, only when they are all in the page cache; returns the bytes
   * copied, 0 when they are not cached (then read them with toBuffer). The TLS path.
   */
  tryReadInto(dest: Buffer, destOffset: number, skip: number): number;
  /** Reads the range into a new buffer, off the event loop. */
  toBuffer(): Promise<Buffer>;
}

export type ResponsePart = Buffer | FileRange;

/**
 * What a handler returns: response parts (already framed with the 4-byte size), nothing
 * (acks=0), or a close. `closeAfter`: the connection closes once these parts are written (a
 * refused SASL exchange: Kafka sends the error response, then closes).
 */
export type Answer = { readonly parts: readonly ResponsePart[]; readonly closeAfter?: string } | { readonly close: string } | null;

export interface ConnectionInfo {
  readonly id: number;
  readonly listener: Listener;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly socket: Socket;
  /**
   * Who the client is: User:ANONYMOUS until the listener's TLS client certificate or a SASL
   * exchange says otherwise (set by the network layer and the SASL handlers, read by the
   * authorizer).
   */
  principal: KafkaPrincipal;
  /**
   * True on a SASL listener until SASL authentication completes (the SASL layer clears it):
   * frames are then bounded by sasl.server.max.receive.size instead of
   * socket.request.max.bytes, and may be shorter than a request header (raw SASL tokens after
   * SaslHandshake v0).
   */
  authenticating: boolean;
}

/**
 * Where a request's time went, in milliseconds (Kafka's RequestMetrics, on one thread):
 * queue from its frame's bytes being read to its handler starting (behind the requests before
 * it in the same read, or held while the connection was muted); handler from then until the
 * answer was ready (Kafka's local plus remote time: the produce and fetch purgatories are in
 * it); responseQueue from ready until its turn to be written (responses go out in request
 * order); send from then until its bytes were handed to the socket (sendfile included).
 */
export interface RequestTimes {
  readonly queueMs: number;
  readonly handlerMs: number;
  readonly responseQueueMs: number;
  readonly sendMs: number;
}

export interface RequestHandler {
  /** Handles one request frame; must not throw for bad input (answer { close } instead). */
  handle(frame: Buffer, connection: ConnectionInfo): Promise<Answer> | Answer;
  /** After a request's response was written (or dropped: acks=0): where its time went. Must not throw. */
  requestDone?(apiKey: number, times: RequestTimes): void;
}
