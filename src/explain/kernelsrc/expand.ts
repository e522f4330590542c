/**
 * Macro expansion the way cpp does it for the flag-function generators of page-flags.h
 * (PAGEFLAG -> TESTPAGEFLAG -> FOLIO_TEST_FLAG -> `static ... folio_test_##name(...) {...}`):
 * argument substitution and `##` pasting, recursing into the generator macros a body invokes,
 * until function definitions are reached. Everything else (policy macros such as PF_HEAD,
 * FOLIO_PF_* constants) is left as written so the caller can read it.
 */
import type { MacroDef, Token } from './scan.js';

export interface InvocationSegment {
  readonly kind: 'invocation';
  readonly macro: string;
  readonly args: readonly (readonly Token[])[];
  readonly line: number;
}

export interface FunctionSegment {
  readonly kind: 'function';
  readonly tokens: readonly Token[];
  readonly line: number;
}

export type Segment = InvocationSegment | FunctionSegment;

/** A function definition reached by expansion. */
export interface GeneratedFunction {
  readonly name: string;
  /** the function's tokens after substitution, joined by single spaces */
  readonly text: string;
  /** macros from the top-level one to the one whose body holds the definition */
  readonly chain: readonly string[];
  /** the name as written in the defining macro, e.g. 'folio_test_##name' */
  readonly template: string;
  /** parameter name -> argument text of the defining macro */
  readonly bindings: ReadonlyMap<string, string>;
}

/** Index of the bracket closing the one at `open` (any of ( [ {), or -1. */
export function matchingClose(tokens: readonly Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    const t = tokens[i].text;
    if (t === '(' || t === '[' || t === '{') depth++;
    else if (t === ')' || t === ']' || t === '}') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** Splits the tokens between `(` at `open` and its `)` into arguments; returns them and the `)` index. */
export function readArgs(tokens: readonly Token[], open: number): { args: Token[][]; close: number } {
  const close = matchingClose(tokens, open);
  if (close < 0) return { args: [], close: -1 };
  const args: Token[][] = [[]];
  let depth = 0;
  for (let i = open + 1; i < close; i++) {
    const t = tokens[i].text;
    if (t === '(' || t === '[' || t === '{') depth++;
    else if (t === ')' || t === ']' || t === '}') depth--;
    if (t === ',' && depth === 0) args.push([]);
    else args[args.length - 1].push(tokens[i]);
  }
  if (args.length === 1 && args[0].length === 0) args.length = 0;
  return { args, close };
}

export function joinTokens(tokens: readonly Token[]): string {
  return tokens.map((t) => t.text).join(' ');
}

/** Substitutes parameters and performs `##` pasting (C11 6.10.3.1, 6.10.3.3). */
export function substitute(
  body: readonly Token[],
  params: readonly string[],
  args: readonly (readonly Token[])[],
): Token[] {
  const out: Token[] = [];
  const argOf = (t: Token): readonly Token[] | undefined => {
    const i = params.indexOf(t.text);
    return i < 0 ? undefined : (args[i] ?? []);
  };
  for (let i = 0; i < body.length; i++) {
    const t = body[i];
    if (t.text === '##' && i + 1 < body.length) {
      const next = body[++i];
      const right = argOf(next) ?? [next];
      const left = out.pop();
      if (!left) out.push(...right);
      else if (right.length === 0) out.push(left);
      else out.push({ ...left, text: left.text + right[0].text }, ...right.slice(1));
      continue;
    }
    out.push(...(argOf(t) ?? [t]));
  }
  return out;
}

/**
 * The macro table of one header, with the generator macros (those whose body is only function
 * definitions and invocations of other generators) told apart from the rest.
 */
export class MacroTable {
  private readonly generators = new Map<string, boolean>();
  private readonly segmentsCache = new Map<string, Segment[] | null>();

  constructor(readonly defs: ReadonlyMap<string, readonly MacroDef[]>) {}

  /** The single function-like definition of `name`, or an error naming all of them. */
  definition(name: string): MacroDef | undefined {
    const defs = this.defs.get(name)?.filter((d) => d.params !== null);
    if (!defs || defs.length === 0) return undefined;
    if (defs.length > 1 && new Set(defs.map((d) => d.bodyText)).size > 1) {
      const where = defs.map((d) => `${d.file}:${d.line}`).join(', ');
      throw new Error(`generator macro ${name} has several different definitions (${where})`);
    }
    return defs[0];
  }

  isGenerator(name: string): boolean {
    const known = this.generators.get(name);
    if (known !== undefined) return known;
    this.generators.set(name, false); // breaks recursion cycles
    const segs = this.segments(name);
    const result =
      segs !== null &&
      segs.length > 0 &&
      segs.every((s) => s.kind === 'function' || this.isGenerator(s.macro));
    this.generators.set(name, result);
    return result;
  }

  /** The body of a function-like macro split into function definitions and invocations; null if it has other code. */
  segments(name: string): Segment[] | null {
    if (this.segmentsCache.has(name)) return this.segmentsCache.get(name) ?? null;
    const def = this.definition(name);
    const segs = def ? splitSegments(def.body, (n) => this.definition(n) !== undefined) : null;
    this.segmentsCache.set(name, segs);
    return segs;
  }

  /** Expands an invocation of generator `macro` down to its function definitions. */
  expand(
    macro: string,
    args: readonly (readonly Token[])[],
    chain: readonly string[] = [],
  ): GeneratedFunction[] {
    const def = this.definition(macro);
    const segs = this.segments(macro);
    if (!def || !def.params || !segs) throw new Error(`${macro} is not a generator macro`);
    const params = def.params;
    if (params.length !== args.length) {
      throw new Error(
        `${def.file}:${def.line}: ${macro} takes ${params.length} arguments, got ${args.length}`,
      );
    }
    const here = [...chain, macro];
    const bindings = new Map(params.map((p, i) => [p, joinTokens(args[i]).replace(/ /g, '')]));
    const out: GeneratedFunction[] = [];
    for (const seg of segs) {
      if (seg.kind === 'invocation') {
        const subArgs = seg.args.map((a) => substitute(a, params, args));
        out.push(...this.expand(seg.macro, subArgs, here));
        continue;
      }
      const tokens = substitute(seg.tokens, params, args);
      out.push({
        name: functionName(tokens, def),
        text: joinTokens(tokens),
        chain: here,
        template: nameTemplate(seg.tokens, def),
        bindings,
      });
    }
    return out;
  }
}

function firstParen(tokens: readonly Token[]): number {
  return tokens.findIndex((t) => t.text === '(');
}

function functionName(tokens: readonly Token[], def: MacroDef): string {
  const name = tokens[firstParen(tokens) - 1]?.text;
  if (!name || !/^[A-Za-z_]\w*$/.test(name)) {
    throw new Error(`${def.file}:${def.line}: no function name in ${def.name}: ${joinTokens(tokens)}`);
  }
  return name;
}

/** `folio_test_ ## name` before the parameter list -> 'folio_test_##name'. */
function nameTemplate(tokens: readonly Token[], def: MacroDef): string {
  let i = firstParen(tokens) - 1;
  const parts: string[] = [];
  while (i >= 0 && /^[A-Za-z_]\w*$/.test(tokens[i].text)) {
    parts.unshift(tokens[i].text);
    if (tokens[i - 1]?.text !== '##') break;
    parts.unshift('##');
    i -= 2;
  }
  if (parts.length === 0)
    throw new Error(`${def.file}:${def.line}: no function name template in ${def.name}`);
  return parts.join('');
}

/**
 * Splits a macro body at depth 0 into `static ... name(...) { ... }` definitions and `M(args)`
 * invocations of function-like macros; null when anything else is there. Stray `;` are skipped.
 */
function splitSegments(body: readonly Token[], isMacro: (name: string) => boolean): Segment[] | null {
  const segs: Segment[] = [];
  let i = 0;
  while (i < body.length) {
    const t = body[i];
    if (t.text === ';') {
      i++;
    } else if (t.text === 'static') {
      const open = body.findIndex((x, j) => j > i && x.text === '{');
      const close = open < 0 ? -1 : matchingClose(body, open);
      if (close < 0) return null;
      segs.push({ kind: 'function', tokens: body.slice(i, close + 1), line: t.line });
      i = close + 1;
    } else if (isMacro(t.text) && body[i + 1]?.text === '(') {
      const { args, close } = readArgs(body, i + 1);
      if (close < 0) return null;
      segs.push({ kind: 'invocation', macro: t.text, args, line: t.line });
      i = close + 1;
    } else {
      return null;
    }
  }
  return segs;
}
