// Listener URIs (Kafka's `listeners` / `advertised.listeners`): NAME://host:port, with the
// security protocol looked up in listener.security.protocol.map. Only PLAINTEXT is served
// today; TLS and SASL fit here later as other protocols.
import { ConfigError } from './config-def.js';

export type SecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';

export interface Listener {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly securityProtocol: SecurityProtocol;
}

const LISTENER_RE = /^([A-Za-z0-9_]+):\/\/(\[[^\]]*\]|[^:/]*):(\d+)$/;

export function parseListeners(key: string, uris: readonly string[], securityMap: readonly string[]): Listener[] {
  const protocolOf = new Map<string, string>();
  for (const entry of securityMap) {
    const [name, proto] = entry.split(':');
    if (!name || !proto) throw new ConfigError('listener.security.protocol.map', securityMap.join(','), 'entries must look like NAME:PROTOCOL');
    protocolOf.set(name.toUpperCase(), proto.toUpperCase());
  }
  const seen = new Set<string>();
  return uris.map((uri) => {
    const m = LISTENER_RE.exec(uri);
    if (!m) throw new ConfigError(key, uris.join(','), `listener ${uri} must look like NAME://host:port`);
    const name = m[1]!.toUpperCase();
    const port = Number(m[3]);
    if (port > 65535) throw new ConfigError(key, uris.join(','), `port ${port} of ${uri} is out of range`);
    if (seen.has(name)) throw new ConfigError(key, uris.join(','), `listener name ${name} appears twice`);
    seen.add(name);
    const proto = protocolOf.get(name) ?? name;
    if (proto !== 'PLAINTEXT' && proto !== 'SSL' && proto !== 'SASL_PLAINTEXT' && proto !== 'SASL_SSL') {
      throw new ConfigError(key, uris.join(','), `no security protocol for listener ${name} in listener.security.protocol.map`);
    }
    return { name, host: m[2]!.replace(/^\[|\]$/g, ''), port, securityProtocol: proto };
  });
}
