// LogThrottle: owns how often one repeated failure is logged. The first occurrence of a key is
// logged at once; those that follow within the interval are only counted, and the count goes
// with the next line logged for that key. A failure that every retry repeats (a full disk
// under producers that retry KAFKA_STORAGE_ERROR, as clients do) is then one line per
// partition per interval instead of one per request.

export class LogThrottle {
  private readonly lastLogged = new Map<string, { atMs: number; suppressed: number }>();

  constructor(
    private readonly intervalMs: number,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /**
   * Whether to log this occurrence of `key`: undefined to stay quiet (it is counted), else how
   * many occurrences went unlogged since the last line for the key.
   */
  admit(key: string): number | undefined {
    const now = this.nowMs();
    const last = this.lastLogged.get(key);
    if (last && now - last.atMs < this.intervalMs) {
      last.suppressed++;
      return undefined;
    }
    this.lastLogged.set(key, { atMs: now, suppressed: 0 });
    return last?.suppressed ?? 0;
  }

  /** Forgets a key (a partition deleted or moved away). */
  forget(key: string): void {
    this.lastLogged.delete(key);
  }
}
