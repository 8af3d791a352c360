// Kafka's regular expressions on the wire: ListTransactions' TransactionalIdPattern (KIP-1152)
// and the consumer protocol's subscribed topic regex (KIP-848) are RE2/J patterns, matched
// against the whole name. This module turns one into a JavaScript RegExp with the same
// meaning for the syntax the two share, and refuses what RE2 refuses (backreferences,
// lookaround) or what this translation cannot carry, so the broker answers
// INVALID_REGULAR_EXPRESSION instead of matching differently from Kafka.

/** Why a pattern was refused, in the words of the error message given to the client. */
export class InvalidPatternError extends Error {
  constructor(pattern: string, reason: string) {
    super(`Invalid regular expression '${pattern}': ${reason}`);
    this.name = 'InvalidPatternError';
  }
}

const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

/**
 * The RegExp matching exactly the names that RE2/J's `Pattern.matches` accepts for `pattern`
 * (the whole name must match). Throws InvalidPatternError when RE2 would refuse the pattern
 * or it uses syntax this translation does not carry.
 */
export function compileRe2jPattern(pattern: string): RegExp {
  let source = '';
  let flags = '';
  let i = 0;
  // RE2's leading flag group, (?i) (?s) (?m) and combinations, applies to the whole pattern.
  const leading = /^\(\?([ims]+)\)/.exec(pattern);
  if (leading) {
    flags = [...new Set(leading[1]!)].join('');
    i = leading[0].length;
  }
  let inClass = false;
  while (i < pattern.length) {
    const c = pattern[i]!;
    if (c === '\\') {
      const n = pattern[i + 1];
      if (n === undefined) throw new InvalidPatternError(pattern, 'trailing backslash');
      if (n === 'Q') {
        const end = pattern.indexOf('\\E', i + 2);
        const literal = pattern.slice(i + 2, end < 0 ? pattern.length : end);
        source += literal.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
        i = end < 0 ? pattern.length : end + 2;
        continue;
      }
      if (/[1-9]/.test(n)) throw new InvalidPatternError(pattern, 'backreferences are not supported');
      if (!inClass && n === 'A') source += '^';
      else if (!inClass && n === 'z') source += '$';
      else if (n === 'p' || n === 'P' || n === 'C' || n === 'Z') throw new InvalidPatternError(pattern, `\\${n} is not supported`);
      else source += c + n;
      i += 2;
      continue;
    }
    if (inClass) {
      const posix = /^\[:(\^?)([a-z]+):\]/.exec(pattern.slice(i));
      if (posix) {
        const ranges = POSIX_CLASSES[posix[2]!];
        if (ranges === undefined || posix[1] === '^') throw new InvalidPatternError(pattern, `character class [:${posix[1]}${posix[2]}:] is not supported`);
        source += ranges;
        i += posix[0].length;
        continue;
      }
      if (c === ']') inClass = false;
      source += c;
      i += 1;
      continue;
    }
    if (c === '[') {
      inClass = true;
      source += c;
      i += 1;
      // A ']' right after '[' or '[^' is a literal in RE2 (and an empty class in JavaScript).
      if (pattern[i] === '^') {
        source += '^';
        i += 1;
      }
      if (pattern[i] === ']') {
        source += '\\]';
        i += 1;
      }
      continue;
    }
    if (c === '(' && pattern[i + 1] === '?') {
      const rest = pattern.slice(i + 2);
      if (rest.startsWith(':')) source += '(?:';
      else if (rest.startsWith('P<')) source += '(?<';
      else if (/^<[A-Za-z]/.test(rest)) source += '(?<';
      else if (/^[=!]|^<[=!]/.test(rest)) throw new InvalidPatternError(pattern, 'lookaround is not supported');
      else throw new InvalidPatternError(pattern, `group flags at offset ${i} are not supported`);
      i += rest.startsWith('P<') ? 4 : 3;
      continue;
    }
    source += c;
    i += 1;
  }
  if (inClass) throw new InvalidPatternError(pattern, 'missing closing ]');
  try {
    return new RegExp(`^(?:${source})$`, flags);
  } catch (err) {
    throw new InvalidPatternError(pattern, (err as Error).message.replace(/^Invalid regular expression: /, ''));
  }
}
