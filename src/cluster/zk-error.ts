// ZkError: a ZooKeeper operation's failure with ZooKeeper's name for its code (NODE_EXISTS,
// NO_NODE, BAD_VERSION, ...), and the check for one. Apart from zk-client.ts so that code
// which only tests for these errors does not load the ZooKeeper client library: a single
// node never does (start-up: bench/startup.ts).
/** A ZooKeeper error: `code` is ZooKeeper's name for it (NODE_EXISTS, NO_NODE, BAD_VERSION, ...). */
export class ZkError extends Error {
  constructor(
    readonly code: string,
    readonly path: string,
    message?: string,
  ) {
    super(message ?? `ZooKeeper ${code} at ${path}`);
    this.name = 'ZkError';
  }
}

export function isZkError(err: unknown, code: string): boolean {
  return err instanceof ZkError && err.code === code;
}
