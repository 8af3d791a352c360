// Owns the bytes of the broker's log on their way to a file descriptor (stdout): a pino
// destination that never blocks the event loop and never loops on a dead sink. Lines are
// queued and written by one asynchronous write at a time (libuv's thread pool), so a full
// pipe whose reader stopped reading holds back only the log, not the broker; the queue is
// bounded (lines past the bound are dropped and counted, then reported once the sink drains);
// a sink that fails (EPIPE: the reader has gone, EBADF, ...) is given up for good. drain()
// waits a bounded time for what is queued, so shutdown ends whatever the sink does.
//
// Why not pino's own destination (sonic-boom): at exit it flushes synchronously and retries
// a failing write forever (Atomics.wait between tries), which hung Ctrl-C after `| tee` died.
import { write } from 'node:fs';

/** Bytes queued before lines are dropped: far above what a quiet info-level broker writes. */
const QUEUED_MAX_BYTES = 4 * 1024 * 1024;
/** Bytes handed to one write(2). */
const WRITE_MAX_BYTES = 256 * 1024;

export class StdoutSink {
  private queue: string[] = [];
  private queuedBytes = 0;
  private writing = false;
  private failed = false;
  private droppedLines = 0;
  private drained: (() => void)[] = [];

  /** `format` turns one pino JSON line (with its newline) into what is written. */
  constructor(
    private readonly fd: number,
    private readonly format: (line: string) => string = (line) => line,
  ) {}

  /** pino's destination interface: one call per log line. */
  write(line: string): void {
    if (this.failed) return;
    if (this.queuedBytes + line.length > QUEUED_MAX_BYTES) {
      this.droppedLines++;
      return;
    }
    const text = this.format(line);
    this.queue.push(text);
    this.queuedBytes += text.length;
    if (!this.writing) this.writeNext();
  }

  /** Lines dropped so far because the sink fell behind or failed. */
  get dropped(): number {
    return this.droppedLines;
  }

  /** Resolves once everything queued is written, the sink failed, or `timeoutMs` passed. */
  drain(timeoutMs: number): Promise<void> {
    if (!this.writing || this.failed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      timer.unref();
      const self = this;
      function done(): void {
        clearTimeout(timer);
        self.drained = self.drained.filter((f) => f !== done);
        resolve();
      }
      this.drained.push(done);
    });
  }

  private writeNext(): void {
    if (this.droppedLines > 0 && this.queue.length === 0) {
      const notice = this.format(`${JSON.stringify({ level: 40, time: Date.now(), pid: process.pid, name: 'tidelog', dropped: this.droppedLines, msg: 'log lines dropped: the log output did not keep up' })}\n`);
      this.droppedLines = 0;
      this.queue.push(notice);
      this.queuedBytes += notice.length;
    }
    if (this.queue.length === 0) {
      this.writing = false;
      for (const f of this.drained.splice(0)) f();
      return;
    }
    this.writing = true;
    let chunk = '';
    while (this.queue.length > 0 && chunk.length < WRITE_MAX_BYTES) chunk += this.queue.shift();
    const bytes = Buffer.from(chunk, 'utf8');
    this.writeBytes(bytes, chunk.length);
  }

  private writeBytes(bytes: Buffer, queuedChars: number): void {
    write(this.fd, bytes, 0, bytes.length, null, (err, written) => {
      if (err) {
        if (err.code === 'EAGAIN') {
          // A non-blocking pipe that is full: try again shortly, off the loop's critical path.
          setTimeout(() => this.writeBytes(bytes, queuedChars), 50).unref();
          return;
        }
        this.fail();
        return;
      }
      if (written < bytes.length) {
        this.writeBytes(bytes.subarray(written), queuedChars);
        return;
      }
      this.queuedBytes -= queuedChars;
      this.writeNext();
    });
  }

  private fail(): void {
    this.failed = true;
    this.writing = false;
    this.queue = [];
    this.queuedBytes = 0;
    for (const f of this.drained.splice(0)) f();
  }
}
