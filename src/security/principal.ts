// Who is on the other end of a connection: Kafka's KafkaPrincipal ("User:alice"). Every
// connection starts as User:ANONYMOUS (what Kafka calls an unauthenticated PLAINTEXT client);
// TLS client certificates and SASL replace it. ACLs and the admin API match on it.
export interface KafkaPrincipal {
  /** Kafka's principal type; "User" for every principal this broker builds. */
  readonly principalType: string;
  readonly name: string;
}

export const ANONYMOUS: KafkaPrincipal = Object.freeze({ principalType: 'User', name: 'ANONYMOUS' });

export function userPrincipal(name: string): KafkaPrincipal {
  return { principalType: 'User', name };
}

/** "User:alice", as Kafka prints principals and as ACLs and super.users name them. */
export function principalText(p: KafkaPrincipal): string {
  return `${p.principalType}:${p.name}`;
}

/** Parses "User:alice" (the type is everything before the first colon); null when there is no colon. */
export function parsePrincipal(text: string): KafkaPrincipal | null {
  const colon = text.indexOf(':');
  if (colon <= 0) return null;
  return { principalType: text.slice(0, colon), name: text.slice(colon + 1) };
}
