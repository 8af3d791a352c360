// ScramCredentialStore: the SCRAM credentials of every user, as Kafka keeps them per user
// entity: a map of user config keys where "SCRAM-SHA-256" / "SCRAM-SHA-512" hold
// "salt=<b64>,stored_key=<b64>,server_key=<b64>,iterations=<n>" (other keys of the entity,
// such as quotas, are kept untouched). Reads are synchronous from memory (the SaslAuthenticate
// path never waits); writes go to the backend: the single-node metadata file
// (LocalUserConfigs over LocalMetadataStore) or ZooKeeper (zk-user-configs.ts). No password is
// ever held here, only the derived keys.
import {
  credentialFromString,
  credentialMatches,
  credentialToString,
  scramMechanism,
  SCRAM_MECHANISMS,
  type ScramCredential,
  type ScramMechanismName,
} from './scram.js';

/** Where user entity configs live: a user name -> its config map ({} or absent: no entity). */
export interface UserConfigBackend {
  /** Every user entity now (from memory). */
  all(): ReadonlyMap<string, Readonly<Record<string, string>>>;
  /** Replaces one user's configs; an empty map removes the entity. */
  write(user: string, configs: Readonly<Record<string, string>>): void | Promise<void>;
}

export type CredentialChange = { readonly mechanism: ScramMechanismName; readonly credential: ScramCredential | null };

export class ScramCredentialStore {
  constructor(private readonly backend: UserConfigBackend) {}

  /** The user's credential for a mechanism, or undefined (also for an unreadable stored value). */
  credential(user: string, mechanism: ScramMechanismName): ScramCredential | undefined {
    const text = this.backend.all().get(user)?.[mechanism];
    if (text === undefined) return undefined;
    try {
      return credentialFromString(text);
    } catch {
      return undefined;
    }
  }

  /** Users with at least one SCRAM credential, each with its mechanisms and iterations (sorted by name). */
  describe(): { user: string; credentials: { mechanism: ScramMechanismName; iterations: number }[] }[] {
    const out: { user: string; credentials: { mechanism: ScramMechanismName; iterations: number }[] }[] = [];
    for (const [user] of [...this.backend.all()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
      const credentials = SCRAM_MECHANISMS.flatMap((m) => {
        const c = this.credential(user, m.name);
        return c ? [{ mechanism: m.name, iterations: c.iterations }] : [];
      });
      if (credentials.length > 0) out.push({ user, credentials });
    }
    return out;
  }

  /** Applies one user's upserts (credential) and deletions (null) in one write. */
  alter(user: string, changes: readonly CredentialChange[]): void | Promise<void> {
    const next: Record<string, string> = { ...(this.backend.all().get(user) ?? {}) };
    for (const c of changes) {
      if (c.credential === null) delete next[c.mechanism];
      else next[c.mechanism] = credentialToString(c.credential);
    }
    return this.backend.write(user, next);
  }
}

/**
 * Checks a username and password against the stored SCRAM credentials (any mechanism the user
 * has): the HTTP admin API's Basic authentication uses it. Takes as long as a SCRAM login
 * (PBKDF2 with the stored iterations). False for an unknown user.
 */
export function verifyScramPassword(store: ScramCredentialStore, user: string, password: string): boolean {
  let ok = false;
  let seen = false;
  for (const m of SCRAM_MECHANISMS) {
    const c = store.credential(user, m.name);
    if (!c) continue;
    seen = true;
    if (credentialMatches(scramMechanism(m.name)!, c, password)) ok = true;
  }
  return seen && ok;
}

/** User entity configs in memory: the backend of tests and of a broker without storage. */
export class MemoryUserConfigs implements UserConfigBackend {
  private readonly users = new Map<string, Readonly<Record<string, string>>>();
  all(): ReadonlyMap<string, Readonly<Record<string, string>>> {
    return this.users;
  }
  write(user: string, configs: Readonly<Record<string, string>>): void {
    if (Object.keys(configs).length === 0) this.users.delete(user);
    else this.users.set(user, { ...configs });
  }
}
