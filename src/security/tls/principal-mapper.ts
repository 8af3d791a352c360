// The principal of a TLS client certificate, as Kafka's DefaultKafkaPrincipalBuilder makes it:
// the subject's distinguished name in RFC 2253 form as Java's X500Principal.getName() prints
// it ("CN=client,OU=test,O=tidelog": most specific RDN first, no spaces), then
// ssl.principal.mapping.rules (Kafka's SslPrincipalMapper: RULE:pattern/replacement/[LU]
// entries tried in order, the first whose pattern matches the whole DN wins; DEFAULT keeps
// the DN). User:<result>.
import type { X509Certificate } from 'node:crypto';
import { ConfigError } from '../../config/config-def.js';
import { userPrincipal, type KafkaPrincipal } from '../principal.js';

/** Attribute names Java's X500Principal prints by keyword in RFC 2253 form; others become OID=#hex. */
const RFC2253_KEYWORDS = new Set(['CN', 'C', 'L', 'ST', 'O', 'OU', 'STREET', 'DC', 'UID']);

/** OpenSSL short names of the attributes Java prints as dotted OIDs, with the DER tag of their value. */
const OID_OF: Readonly<Record<string, { oid: string; tag: number }>> = {
  emailAddress: { oid: '1.2.840.113549.1.9.1', tag: 0x16 }, // IA5String
  serialNumber: { oid: '2.5.4.5', tag: 0x13 }, // PrintableString
  title: { oid: '2.5.4.12', tag: 0x0c },
  GN: { oid: '2.5.4.42', tag: 0x0c },
  SN: { oid: '2.5.4.4', tag: 0x0c },
  initials: { oid: '2.5.4.43', tag: 0x0c },
  dnQualifier: { oid: '2.5.4.46', tag: 0x13 },
  postalCode: { oid: '2.5.4.17', tag: 0x0c },
};

/**
 * The subject of `cert` in Java's RFC 2253 form. Node gives the subject one RDN a line, least
 * specific first, values already escaped per RFC 2253 (OpenSSL's ASN1_STRFLGS_ESC_2253), and
 * multi-valued RDNs joined by " + ".
 */
export function subjectDn(cert: X509Certificate): string {
  const lines = cert.subject.split('\n').filter((l) => l !== '');
  return lines
    .reverse()
    .map((rdn) =>
      rdn
        .split(' + ')
        .map((ava) => {
          const eq = ava.indexOf('=');
          const name = ava.slice(0, eq);
          const value = ava.slice(eq + 1);
          if (RFC2253_KEYWORDS.has(name.toUpperCase())) return `${name.toUpperCase()}=${value}`;
          const known = OID_OF[name];
          if (known) return `${known.oid}=#${derHex(known.tag, unescape2253(value))}`;
          return `${name}=${value}`;
        })
        .join('+'),
    )
    .join(',');
}

function unescape2253(v: string): string {
  return v.replace(/\\([0-9A-Fa-f]{2}|.)/g, (_, c: string) => (c.length === 2 ? String.fromCharCode(parseInt(c, 16)) : c));
}

/** The DER encoding of a short string value, in hex (Java's "#..." form of an attribute it has no keyword for). */
function derHex(tag: number, value: string): string {
  const bytes = Buffer.from(value, 'utf8');
  const len = bytes.length < 0x80 ? Buffer.from([bytes.length]) : Buffer.from([0x81, bytes.length]);
  return Buffer.concat([Buffer.from([tag]), len, bytes]).toString('hex');
}

interface Rule {
  readonly pattern: RegExp | null; // null: DEFAULT
  readonly replacement: string;
  readonly toLower: boolean;
  readonly toUpper: boolean;
}

/** One rule: DEFAULT, or RULE:pattern/replacement/ with an optional L or U (Kafka's SslPrincipalMapper grammar). */
const RULE_RE = /^RULE:((?:\\\/|[^/])*)\/((?:\\\/|[^/])*)\/([LU]?)$/;

export class SslPrincipalMapper {
  private constructor(private readonly rules: readonly Rule[]) {}

  /** Parses ssl.principal.mapping.rules; throws ConfigError naming `key` for a rule it cannot read. */
  static fromRules(text: string, key = 'ssl.principal.mapping.rules'): SslPrincipalMapper {
    // Rules are separated by commas or new lines that end a rule; a comma inside a pattern
    // (DNs have them) belongs to the rule: split only before the next RULE: or DEFAULT.
    const parts = text
      .split(/[,\n](?=\s*(?:RULE:|DEFAULT\s*(?:[,\n]|$)))/)
      .map((p) => p.trim())
      .filter((p) => p !== '');
    const parsed = parts.map((p): Rule => {
      if (p === 'DEFAULT') return { pattern: null, replacement: '', toLower: false, toUpper: false };
      const m = RULE_RE.exec(p);
      if (!m) throw new ConfigError(key, text, `rule '${p}' must be DEFAULT or RULE:pattern/replacement/ with an optional L or U`);
      let pattern: RegExp;
      try {
        pattern = new RegExp(`^(?:${m[1]!.replace(/\\\//g, '/')})$`);
      } catch (err) {
        throw new ConfigError(key, text, `rule '${p}': ${(err as Error).message}`);
      }
      return { pattern, replacement: m[2]!.replace(/\\\//g, '/'), toLower: m[3] === 'L', toUpper: m[3] === 'U' };
    });
    return new SslPrincipalMapper(parsed.length > 0 ? parsed : [{ pattern: null, replacement: '', toLower: false, toUpper: false }]);
  }

  /** The principal name of a DN from the first rule that matches; null when none does (Kafka: "No rules apply to ...", the connection fails). */
  name(dn: string): string | null {
    for (const r of this.rules) {
      if (r.pattern === null) return dn;
      if (!r.pattern.test(dn)) continue;
      // Java's Matcher.replaceAll on the whole DN; $1.. are the same in JS.
      const out = dn.replace(r.pattern, r.replacement);
      return r.toLower ? out.toLowerCase() : r.toUpper ? out.toUpperCase() : out;
    }
    return null;
  }

  /** User:<name> of the certificate's subject, or null when no rule applies. */
  principal(cert: X509Certificate): KafkaPrincipal | null {
    const name = this.name(subjectDn(cert));
    return name === null ? null : userPrincipal(name);
  }
}
