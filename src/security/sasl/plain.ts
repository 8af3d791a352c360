// SASL/PLAIN (RFC 4616) on the broker, as Kafka's PlainSaslServer with its
// PlainServerCallbackHandler: one message "authzid\0username\0password"; the users are the
// `user_<name>="<password>"` options of the listener's PlainLoginModule JAAS entry; the
// password is compared in constant time; an authzid must be empty or the username.
import { createHash, timingSafeEqual } from 'node:crypto';
import { SaslFailure } from './sasl-failure.js';

/** Checks one PLAIN message against `users` (name -> password); returns the username or throws SaslFailure. */
export function evaluatePlain(token: Buffer, users: ReadonlyMap<string, string>): string {
  const parts = token.toString('utf8').split('\u0000');
  if (parts.length !== 3) throw SaslFailure.credentials('PLAIN', `Invalid SASL/PLAIN response: expected 3 tokens, got ${parts.length}`);
  const [authzid, username, password] = parts as [string, string, string];
  if (username.length === 0) throw SaslFailure.withMessage('Authentication failed: username not specified');
  if (password.length === 0) throw SaslFailure.withMessage('Authentication failed: password not specified');
  const expected = users.get(username);
  // Compared as digests: equal lengths for timingSafeEqual, and no early exit on length.
  const given = createHash('sha256').update(password, 'utf8').digest();
  const wanted = createHash('sha256').update(expected ?? '', 'utf8').digest();
  if (!(timingSafeEqual(given, wanted) && expected !== undefined)) throw SaslFailure.withMessage('Authentication failed: Invalid username or password');
  if (authzid.length > 0 && authzid !== username) throw SaslFailure.withMessage('Authentication failed: Client requested an authorization id that is different from username');
  return username;
}
