// The contract between the network layer and whoever answers requests: a request is one
// frame (without its 4-byte size); an answer is the framed response as parts, where a part is
// either bytes or a file range sent with sendfile (record bytes of a fetch).
import type { Socket } from 'node:net';
import type { Listener } from '../config/listeners.js';

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
  /** Reads the range into memory: the fallback where a socket has no usable fd. */
  toBuffer(): Promise<Buffer>;
}

export type ResponsePart = Buffer | FileRange;

/** What a handler returns: response parts (already framed with the 4-byte size), nothing (acks=0), or a close. */
export type Answer = { readonly parts: readonly ResponsePart[] } | { readonly close: string } | null;

export interface ConnectionInfo {
  readonly id: number;
  readonly listener: Listener;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly socket: Socket;
}

export interface RequestHandler {
  /** Handles one request frame; must not throw for bad input (answer { close } instead). */
  handle(frame: Buffer, connection: ConnectionInfo): Promise<Answer> | Answer;
}
