// How the console shows numbers and bytes: sizes, rates, times, and a record's key or value
// (base64 from the API) as text, pretty JSON or hex.
export function bytes(n: number): string {
  if (n < 0) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

export function rate(n: number, unit: string): string {
  if (!Number.isFinite(n)) return '—';
  if (unit === 'B') return `${bytes(Math.round(n))}/s`;
  return `${n < 10 ? n.toFixed(1) : Math.round(n).toLocaleString()} ${unit}/s`;
}

export function count(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : n.toLocaleString();
}

export function time(ms: number): string {
  if (ms < 0) return '—';
  const d = new Date(ms);
  return `${d.toLocaleDateString()} ${d.toLocaleTimeString()}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

export function fromBase64(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

export function toBase64(bytesIn: Uint8Array): string {
  let s = '';
  for (const b of bytesIn) s += String.fromCharCode(b);
  return btoa(s);
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** The bytes as UTF-8 text, or null when they are not (binary). */
export function asText(b: Uint8Array): string | null {
  try {
    const s = decoder.decode(b);
    // Control characters other than tab and newlines mean binary.
    return /[\u0000-\u0008\u000e-\u001f\u007f]/.test(s) ? null : s;
  } catch {
    return null;
  }
}

export function asHex(b: Uint8Array, max = 4096): string {
  const parts: string[] = [];
  for (let i = 0; i < Math.min(b.length, max); i += 16) {
    const row = Array.from(b.subarray(i, Math.min(i + 16, b.length)));
    parts.push(`${i.toString(16).padStart(6, '0')}  ${row.map((x) => x.toString(16).padStart(2, '0')).join(' ').padEnd(48)}  ${row.map((x) => (x >= 32 && x < 127 ? String.fromCharCode(x) : '.')).join('')}`);
  }
  if (b.length > max) parts.push(`… ${b.length - max} more bytes`);
  return parts.join('\n');
}

export type View = 'auto' | 'text' | 'json' | 'hex';

/** A key or value for display: what it is shown as and the text. */
export function render(b64: string | null, view: View): { as: 'null' | 'text' | 'json' | 'hex'; text: string } {
  if (b64 === null) return { as: 'null', text: 'null' };
  const b = fromBase64(b64);
  const text = asText(b);
  if (view === 'hex' || text === null) return { as: 'hex', text: asHex(b) };
  if (view === 'json' || view === 'auto') {
    const t = text.trim();
    if ((t.startsWith('{') || t.startsWith('[')) && t.length > 1) {
      try {
        return { as: 'json', text: JSON.stringify(JSON.parse(t), null, 2) };
      } catch {
        // not JSON: shown as text
      }
    }
  }
  return { as: 'text', text };
}
