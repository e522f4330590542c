/**
 * Translation phases 1-4 of the C preprocessor, as far as include/linux/page-flags.h and
 * include/trace/events/mmflags.h need them: comments removed, backslash continuations joined
 * (keeping the starting line), `#if/#ifdef/#ifndef/#elif/#else/#endif` tracked into `Conditions`,
 * `#define`s collected, and the remaining code turned into tokens that carry line and conditions.
 */
import type { Conditions } from '../../kernel/profiles/types.js';

export interface Token {
  readonly text: string;
  readonly line: number;
  readonly cond: Conditions;
}

export interface MacroDef {
  readonly name: string;
  /** parameter names for a function-like macro, null for an object-like one */
  readonly params: readonly string[] | null;
  readonly body: readonly Token[];
  /** the replacement list as written (whitespace collapsed) */
  readonly bodyText: string;
  readonly file: string;
  readonly line: number;
  readonly cond: Conditions;
}

export interface ScannedFile {
  readonly file: string;
  /** tokens outside directives, in order */
  readonly code: readonly Token[];
  /** every #define, by name, in order of appearance */
  readonly macros: ReadonlyMap<string, readonly MacroDef[]>;
}

const TOKEN =
  /[A-Za-z_]\w*|0[xX][0-9a-fA-F]+\w*|\d\w*|"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|##|->|&&|\|\||<<|>>|[<>=!]=|\S/g;

export function tokenize(text: string, line: number, cond: Conditions): Token[] {
  return Array.from(text.matchAll(TOKEN), (m) => ({ text: m[0], line, cond }));
}

/** Replaces comments by spaces, keeping newlines so line numbers stay put. */
export function stripComments(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < text.length && text[j] !== c && text[j] !== '\n') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? text.length : end + 2;
      out += text.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop;
    } else if (c === '/' && text[i + 1] === '/') {
      const end = text.indexOf('\n', i);
      const stop = end < 0 ? text.length : end;
      out += ' '.repeat(stop - i);
      i = stop;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** One open #if group: the expressions of its branches so far and the conditions of the current one. */
interface CondFrame {
  readonly branches: string[];
  current: string[];
  /** the include guard contributes no condition */
  readonly guard: boolean;
}

/** `defined(X)` <-> `!defined(X)`, anything else `!(E)`. */
export function negateCondition(expr: string): string {
  if (/^defined\(\w+\)$/.test(expr)) return `!${expr}`;
  if (/^!defined\(\w+\)$/.test(expr)) return expr.slice(1);
  return `!(${expr})`;
}

function normaliseExpr(expr: string): string {
  return expr.replace(/\s+/g, ' ').trim();
}

export function scanFile(text: string, file: string): ScannedFile {
  const physical = stripComments(text).split('\n');
  const code: Token[] = [];
  const macros = new Map<string, MacroDef[]>();
  const stack: CondFrame[] = [];
  const conditions = (): Conditions => stack.flatMap((f) => (f.guard ? [] : f.current));
  let directivesSeen = 0;
  let guardName: string | undefined;

  for (let i = 0; i < physical.length; i++) {
    const lineNo = i + 1;
    let logical = physical[i];
    while (/\\\s*$/.test(logical) && i + 1 < physical.length) {
      logical = logical.replace(/\\\s*$/, ' ') + physical[++i];
    }
    const directive = /^\s*#\s*(\w+)\s*(.*)$/s.exec(logical);
    if (!directive) {
      if (logical.trim() !== '') code.push(...tokenize(logical, lineNo, conditions()));
      continue;
    }
    const [, kind, rest] = directive;
    const where = `${file}:${lineNo}`;
    directivesSeen++;
    switch (kind) {
      case 'if':
      case 'ifdef':
      case 'ifndef': {
        const name = rest.trim();
        const expr =
          kind === 'if' ? normaliseExpr(rest) : kind === 'ifdef' ? `defined(${name})` : `!defined(${name})`;
        if (kind !== 'if' && !/^\w+$/.test(name)) throw new Error(`${where}: bad #${kind} ${rest}`);
        const guard = directivesSeen === 1 && kind === 'ifndef';
        if (guard) guardName = name;
        stack.push({ branches: [expr], current: [expr], guard });
        break;
      }
      case 'elif': {
        const frame = stack.at(-1);
        if (!frame) throw new Error(`${where}: #elif without #if`);
        const expr = normaliseExpr(rest);
        frame.current = [...frame.branches.map(negateCondition), expr];
        frame.branches.push(expr);
        break;
      }
      case 'else': {
        const frame = stack.at(-1);
        if (!frame) throw new Error(`${where}: #else without #if`);
        frame.current = frame.branches.map(negateCondition);
        break;
      }
      case 'endif':
        if (!stack.pop()) throw new Error(`${where}: #endif without #if`);
        break;
      case 'define': {
        const def = parseDefine(rest, file, lineNo, conditions());
        if (def.name === guardName && directivesSeen === 2) break;
        const list = macros.get(def.name);
        if (list) list.push(def);
        else macros.set(def.name, [def]);
        break;
      }
      default:
        // #include, #undef, #error, #pragma: no effect on what the index records
        break;
    }
  }
  if (stack.length > 0) throw new Error(`${file}: ${stack.length} unterminated #if group(s)`);
  return { file, code, macros };
}

function parseDefine(rest: string, file: string, line: number, cond: Conditions): MacroDef {
  const m = /^([A-Za-z_]\w*)(\(([^)]*)\))?(.*)$/s.exec(rest);
  if (!m) throw new Error(`${file}:${line}: cannot parse #define ${rest.trim()}`);
  const [, name, paren, paramText, bodyRaw] = m;
  const params = paren === undefined ? null : paramText.split(',').map((p) => p.trim());
  if (params && params.length === 1 && params[0] === '') params.length = 0;
  const bodyText = normaliseExpr(bodyRaw);
  return { name, params, body: tokenize(bodyText, line, cond), bodyText, file, line, cond };
}
