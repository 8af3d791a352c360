// admin.listener's value (http(s)://host:port) parsed, apart from server.ts so that the lazy
// admin server (lazy-admin-server.ts) binds the port without loading fastify.
import { ConfigError } from '../config/config-def.js';

const LISTENER_RE = /^(https?):\/\/([^:/]+|\[[^\]]+\]):(\d+)$/;

export interface AdminListener {
  readonly https: boolean;
  readonly host: string;
  readonly port: number;
}

export function parseAdminListener(value: string): AdminListener {
  const m = LISTENER_RE.exec(value);
  if (!m) throw new ConfigError('admin.listener', value, 'Value must be a URL like http://127.0.0.1:9644, or empty to disable the admin API');
  const port = Number(m[3]);
  if (port > 65535) throw new ConfigError('admin.listener', value, `port ${port} is out of range`);
  return { https: m[1] === 'https', host: m[2]!.replace(/^\[|\]$/g, ''), port };
}
