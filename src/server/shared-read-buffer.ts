// Moves an accepted TCP connection into a net.Socket that reads into memory the broker owns
// (Node's `onread` option) instead of a fresh 64 KiB buffer per read, which V8 counts as
// external memory and answers with full garbage collections under heavy produce traffic.
// net.Server takes no `onread`, so the accepted socket's handle is moved into a new Socket
// the way child_process moves a socket to another process: detach it, then let the old
// Socket go (which also releases the server's count of it). Where a Node version does not
// expose the handle, the caller keeps the accepted socket and its 'data' events.
// Only for plaintext listeners: a TLS connection reads through its TLS socket (the TCP
// handle belongs to the TLS layer), and is refused here.
import net from 'node:net';
import { TLSSocket } from 'node:tls';

/** Bytes just read into `buffer[0, bytesRead)`; valid only until the callback returns. */
export type OnBytesRead = (bytesRead: number, buffer: Buffer) => void;

interface SocketInternals {
  _handle?: object | null;
}

/**
 * A socket reading the connection of `accepted` into `buffer`, or null when that cannot be
 * done here (then `accepted` is untouched). `accepted` must come from a server created with
 * `pauseOnConnect`, so that nothing has been read from it yet. One buffer can serve every
 * connection of the process: each read is handed to `onBytes` before the next one starts.
 */
export function readIntoSharedBuffer(accepted: net.Socket, buffer: Buffer, onBytes: OnBytesRead): net.Socket | null {
  if (accepted instanceof TLSSocket) return null;
  const internals = accepted as unknown as SocketInternals;
  const handle = internals._handle;
  if (handle === null || typeof handle !== 'object' || accepted.readableFlowing === true) return null;
  internals._handle = null;
  // Without a handle, destroy() closes nothing: it only emits 'close' on the old Socket and
  // decrements the server's connection count (the broker tracks its connections itself).
  accepted.destroy();
  const options = {
    handle,
    readable: true,
    writable: true,
    onread: { buffer, callback: (bytesRead: number, buf: Uint8Array) => onBytes(bytesRead, buf as Buffer) },
  };
  return new net.Socket(options as net.SocketConstructorOpts);
}
