// Kafka's `sasl.jaas.config` values: one JAAS login module entry,
// `<LoginModuleClass> <required|requisite|sufficient|optional> key="value" ...;`, as Kafka's
// JaasConfig parses them (values quoted or bare, escapes inside quotes). Used by the broker
// (PlainLoginModule's user_<name>="password" entries, its own inter-broker credentials) and by
// the client side (username/password).
export interface JaasEntry {
  readonly loginModule: string;
  readonly flag: string;
  readonly options: ReadonlyMap<string, string>;
}

const FLAGS = new Set(['required', 'requisite', 'sufficient', 'optional']);

/** Parses one entry; throws an Error saying what is wrong (callers wrap it in a ConfigError naming their key). */
export function parseJaasConfig(text: string): JaasEntry {
  let i = 0;
  const skipSpace = (): void => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const word = (): string => {
    skipSpace();
    const start = i;
    while (i < text.length && /[^\s=;"]/.test(text[i]!)) i++;
    return text.slice(start, i);
  };
  const loginModule = word();
  if (!loginModule) throw new Error('expected a login module class name');
  const flag = word().toLowerCase();
  if (!FLAGS.has(flag)) throw new Error(`expected a control flag (required, requisite, sufficient or optional) after ${loginModule}, found "${flag}"`);
  const options = new Map<string, string>();
  for (;;) {
    skipSpace();
    if (i >= text.length) throw new Error('the entry must end with ";"');
    if (text[i] === ';') {
      i++;
      skipSpace();
      if (i < text.length) throw new Error('only one login module entry is allowed');
      return { loginModule, flag, options };
    }
    const key = word();
    if (!key) throw new Error(`unexpected "${text[i]}" at position ${i}`);
    skipSpace();
    if (text[i] !== '=') throw new Error(`expected "=" after ${key}`);
    i++;
    skipSpace();
    let value: string;
    if (text[i] === '"') {
      i++;
      let out = '';
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        out += text[i];
        i++;
      }
      if (i >= text.length) throw new Error(`unterminated quoted value of ${key}`);
      i++;
      value = out;
    } else {
      value = word();
    }
    options.set(key, value);
  }
}
