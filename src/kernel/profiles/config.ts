/**
 * Kernel build configuration (`.config`, scripts/kconfig) and the C preprocessor conditions that
 * page-flags.h and mmflags.h put around conditional flags.
 *
 * Kconfig semantics (include/linux/kconfig.h, scripts/kconfig/confdata.c): `CONFIG_X=y` defines
 * `CONFIG_X 1`, `CONFIG_X=m` defines `CONFIG_X_MODULE 1` (and not `CONFIG_X`), strings and
 * numbers define `CONFIG_X <value>`, `# CONFIG_X is not set` defines nothing.
 */
import type { Conditions } from './types.js';

export type ConfigValue = string | number | boolean;

const ASSIGNMENT = /^(CONFIG_\w+)=(.*)$/;
const NOT_SET = /^# (CONFIG_\w+) is not set$/;

function withPrefix(name: string): string {
  return name.startsWith('CONFIG_') ? name : `CONFIG_${name}`;
}

export class KernelConfig {
  /** raw values: 'y', 'm', numbers as written, strings without quotes */
  private readonly values: ReadonlyMap<string, string>;

  private constructor(values: ReadonlyMap<string, string>) {
    this.values = values;
  }

  /** Parses `.config` text; `file` names the input in errors. */
  static parse(text: string, file = '<config>'): KernelConfig {
    const values = new Map<string, string>();
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i].trim();
      if (line === '') continue;
      const set = ASSIGNMENT.exec(line);
      if (set) {
        values.set(set[1], KernelConfig.unquote(set[2], file, i + 1));
        continue;
      }
      const unset = NOT_SET.exec(line);
      if (unset) {
        values.delete(unset[1]);
        continue;
      }
      if (line.startsWith('#')) continue;
      throw new Error(`${file}:${i + 1}: not a Kconfig line: ${JSON.stringify(line)}`);
    }
    return new KernelConfig(values);
  }

  /** `{ MMU: true, NR_CPUS: 64, LOCALVERSION: 'x', SWAP: false }`; names with or without CONFIG_. */
  static from(record: Readonly<Record<string, ConfigValue>>): KernelConfig {
    const values = new Map<string, string>();
    for (const [name, value] of Object.entries(record)) {
      if (value === false) continue;
      values.set(withPrefix(name), value === true ? 'y' : String(value));
    }
    return new KernelConfig(values);
  }

  private static unquote(raw: string, file: string, line: number): string {
    if (!raw.startsWith('"')) return raw;
    if (!raw.endsWith('"') || raw.length < 2) throw new Error(`${file}:${line}: unterminated string ${raw}`);
    return raw.slice(1, -1).replace(/\\(.)/g, '$1');
  }

  /** IS_ENABLED(): built in or module. */
  isEnabled(name: string): boolean {
    const v = this.values.get(withPrefix(name));
    return v === 'y' || v === 'm';
  }

  isBuiltin(name: string): boolean {
    return this.values.get(withPrefix(name)) === 'y';
  }

  isModule(name: string): boolean {
    return this.values.get(withPrefix(name)) === 'm';
  }

  /** The raw value ('y', 'm', '64', unquoted string), undefined when not set. */
  value(name: string): string | undefined {
    return this.values.get(withPrefix(name));
  }

  /** Whether the C preprocessor sees `name` as a defined macro (kconfig.h / autoconf.h rules). */
  isDefinedMacro(name: string): boolean {
    if (!name.startsWith('CONFIG_')) return false;
    if (name.endsWith('_MODULE') && this.isModule(name.slice(0, -'_MODULE'.length))) return true;
    const v = this.values.get(name);
    return v !== undefined && v !== 'm';
  }

  /** The integer the preprocessor substitutes for a bare identifier (0 when undefined). */
  macroNumber(name: string): number {
    if (!this.isDefinedMacro(name)) return 0;
    const v = this.values.get(name);
    if (v === undefined || v === 'y' || v === 'm') return 1; // y -> 1, CONFIG_X_MODULE -> 1
    const n = parseCInteger(v);
    if (n === undefined) throw new Error(`${name}="${v}" is not an integer`);
    return n;
  }

  /** All settings in file order, for writing autoconf-style defines. */
  entries(): IterableIterator<[string, string]> {
    return this.values.entries();
  }
}

export function parseCInteger(text: string): number | undefined {
  const m = /^(0[xX][0-9a-fA-F]+|\d+)[uUlL]*$/.exec(text);
  if (!m) return undefined;
  return m[1].startsWith('0') && m[1].length > 1 && !/^0[xX]/.test(m[1]) ? parseInt(m[1], 8) : Number(m[1]);
}

const TOKEN = /\s*(\|\||&&|==|!=|<=|>=|[()!<>]|[A-Za-z_]\w*|0[xX][0-9a-fA-F]+[uUlL]*|\d+[uUlL]*)/y;

/**
 * Evaluates a preprocessor expression as written after `#if` in page-flags.h / mmflags.h:
 * defined(X), defined X, IS_ENABLED(X), IS_BUILTIN(X), IS_MODULE(X), !, &&, ||, parentheses,
 * integer literals, comparisons and bare identifiers (their value, or 0).
 */
export function evalCondition(expr: string, cfg: KernelConfig): boolean {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < expr.length) {
    if (/^\s*$/.test(expr.slice(TOKEN.lastIndex))) break;
    const start = TOKEN.lastIndex;
    const m = TOKEN.exec(expr);
    if (!m) throw new Error(`unsupported preprocessor syntax at "${expr.slice(start)}" in: ${expr}`);
    tokens.push(m[1]);
  }
  let pos = 0;
  const fail = (what: string): never => {
    throw new Error(`cannot evaluate preprocessor expression (${what}): ${expr}`);
  };
  const peek = (): string | undefined => tokens[pos];
  const expect = (t: string): void => {
    if (tokens[pos] !== t) fail(`expected "${t}" at token ${pos}`);
    pos++;
  };
  const identifier = (): string => {
    const t = tokens[pos++];
    if (t === undefined || !/^[A-Za-z_]\w*$/.test(t)) fail('expected an identifier');
    return t;
  };
  const primary = (): number => {
    const t = tokens[pos++];
    if (t === undefined) return fail('unexpected end');
    if (t === '(') {
      const v = orExpr();
      expect(')');
      return v;
    }
    if (t === '!') return primary() === 0 ? 1 : 0;
    if (t === 'defined') {
      const paren = peek() === '(';
      if (paren) pos++;
      const name = identifier();
      if (paren) expect(')');
      return cfg.isDefinedMacro(name) ? 1 : 0;
    }
    if (t === 'IS_ENABLED' || t === 'IS_BUILTIN' || t === 'IS_MODULE') {
      expect('(');
      const name = identifier();
      expect(')');
      const on =
        t === 'IS_ENABLED'
          ? cfg.isEnabled(name)
          : t === 'IS_BUILTIN'
            ? cfg.isBuiltin(name)
            : cfg.isModule(name);
      return on ? 1 : 0;
    }
    if (/^[A-Za-z_]/.test(t)) {
      if (peek() === '(') fail(`function-like macro ${t}() is not supported`);
      return cfg.macroNumber(t);
    }
    const n = parseCInteger(t);
    return n === undefined ? fail(`unexpected token "${t}"`) : n;
  };
  const comparison = (): number => {
    let left = primary();
    for (let op = peek(); op && ['==', '!=', '<', '>', '<=', '>='].includes(op); op = peek()) {
      pos++;
      const right = primary();
      const r =
        op === '=='
          ? left === right
          : op === '!='
            ? left !== right
            : op === '<'
              ? left < right
              : op === '>'
                ? left > right
                : op === '<='
                  ? left <= right
                  : left >= right;
      left = r ? 1 : 0;
    }
    return left;
  };
  const andExpr = (): number => {
    let v = comparison();
    while (peek() === '&&') {
      pos++;
      const r = comparison();
      v = v !== 0 && r !== 0 ? 1 : 0;
    }
    return v;
  };
  function orExpr(): number {
    let v = andExpr();
    while (peek() === '||') {
      pos++;
      const r = andExpr();
      v = v !== 0 || r !== 0 ? 1 : 0;
    }
    return v;
  }
  const result = orExpr();
  if (pos !== tokens.length) fail(`unexpected "${tokens[pos]}"`);
  return result !== 0;
}

/** All conditions hold (an empty list always holds). */
export function evalConditions(cond: Conditions, cfg: KernelConfig): boolean {
  return cond.every((c) => evalCondition(c, cfg));
}
