/**
 * What include/linux/page-flags.h declares at file level: `enum pageflags` (members and aliases),
 * `enum pagetype` or the 6.1 `#define PG_buddy 0x00000080` list, the invocations of the flag and
 * page-type generator macros with the functions they expand to, and the accessors written by hand.
 */
import type {
  Accessor,
  AccessorOp,
  Conditions,
  HandWritten,
  PageTypeDef,
  PageflagAlias,
  PageflagMember,
  PagePolicy,
} from '../../kernel/profiles/types.js';
import { parseCInteger } from '../../kernel/profiles/config.js';
import { joinTokens, matchingClose, readArgs, type GeneratedFunction, type MacroTable } from './expand.js';
import type { MacroDef, ScannedFile, Token } from './scan.js';

/**
 * Names that read like flag or page-type accessors: the function-like macros of this shape are
 * indexed as hand-written (every static function is), and explain says "not in this profile"
 * rather than "not a page-flags name" for them. The double-underscore tests are the mapping-bit
 * ones (__folio_test_movable, __PageMovable: 6.1, 6.12).
 */
export const ACCESSOR_NAME =
  /^(folio_test_|__folio_test_|folio_set_|folio_clear_|__folio_set_|__folio_clear_|folio_test_set_|folio_test_clear_|Page|__Page|SetPage|ClearPage|__SetPage|__ClearPage|TestSetPage|TestClearPage|folio_mark_|__folio_mark_)/;

const POLICIES: readonly PagePolicy[] = [
  'PF_ANY',
  'PF_HEAD',
  'PF_ONLY_HEAD',
  'PF_NO_TAIL',
  'PF_NO_COMPOUND',
  'PF_SECOND',
];

/** bitops (include/asm-generic/bitops) -> AccessorOp */
const BIT_OPS: Readonly<Record<string, AccessorOp>> = {
  test_bit: 'test',
  set_bit: 'set',
  clear_bit: 'clear',
  __set_bit: '__set',
  __clear_bit: '__clear',
  test_and_set_bit: 'test_set',
  test_and_clear_bit: 'test_clear',
};

export interface TopLevelInvocation {
  readonly macro: string;
  readonly args: readonly (readonly Token[])[];
  readonly line: number;
  readonly text: string;
  readonly cond: Conditions;
}

export interface EnumMember {
  readonly tokens: readonly Token[];
}

export interface FileLevel {
  readonly invocations: readonly TopLevelInvocation[];
  readonly handWritten: readonly HandWritten[];
  readonly enums: ReadonlyMap<string, readonly EnumMember[]>;
}

/** Walks the file-level code: generator invocations, static function definitions, enums. */
export function scanFileLevel(scanned: ScannedFile, macros: MacroTable): FileLevel {
  const code = scanned.code;
  const invocations: TopLevelInvocation[] = [];
  const handWritten: HandWritten[] = [];
  const enums = new Map<string, EnumMember[]>();
  let declStart = -1; // index of `static` starting the current declaration
  let fnName: Token | undefined;
  for (let i = 0; i < code.length; i++) {
    const t = code[i];
    if (t.text === 'enum' && code[i + 1] && code[i + 2]?.text === '{') {
      const close = matchingClose(code, i + 2);
      if (close < 0) throw new Error(`${scanned.file}:${t.line}: unterminated enum ${code[i + 1].text}`);
      enums.set(code[i + 1].text, splitMembers(code.slice(i + 3, close)));
      i = close;
    } else if (macros.isGenerator(t.text) && code[i + 1]?.text === '(' && declStart < 0) {
      const { args, close } = readArgs(code, i + 1);
      if (close < 0) throw new Error(`${scanned.file}:${t.line}: unterminated ${t.text}(`);
      const text = `${t.text}(${args.map(joinArg).join(', ')})`;
      invocations.push({ macro: t.text, args, line: t.line, text, cond: t.cond });
      i = close;
    } else if (t.text === 'static' && declStart < 0) {
      declStart = i;
      fnName = undefined;
    } else if (t.text === '(' && declStart >= 0 && !fnName) {
      fnName = code[i - 1];
      i = matchingClose(code, i);
    } else if (t.text === '{' && declStart >= 0) {
      // every function page-flags.h writes out (page_has_type, folio_mapping_flags ... too), not
      // only the accessor-shaped ones: explain answers for any of them
      if (fnName)
        handWritten.push({ name: fnName.text, line: fnName.line, cond: fnName.cond, kind: 'function' });
      i = matchingClose(code, i);
      declStart = -1;
    } else if (t.text === ';') {
      declStart = -1;
    } else if (t.text === '{' || t.text === '(') {
      i = matchingClose(code, i); // a non-static definition or initialiser
    }
    if (i < 0) throw new Error(`${scanned.file}:${t.line}: unbalanced brackets`);
  }
  for (const [name, defs] of scanned.macros) {
    if (!ACCESSOR_NAME.test(name)) continue;
    for (const d of defs)
      if (d.params !== null) handWritten.push({ name, line: d.line, cond: d.cond, kind: 'macro' });
  }
  handWritten.sort((a, b) => a.line - b.line);
  return { invocations, handWritten, enums };
}

/** `PG_x, ` / `PG_x = PG_y` members, with the tokens of each. */
function splitMembers(tokens: readonly Token[]): EnumMember[] {
  const members: EnumMember[] = [];
  let current: Token[] = [];
  for (const t of tokens) {
    if (t.text === ',') {
      if (current.length) members.push({ tokens: current });
      current = [];
    } else current.push(t);
  }
  if (current.length) members.push({ tokens: current });
  return members;
}

function joinArg(arg: readonly Token[]): string {
  return arg.map((t) => t.text).join(' ');
}

export function pageflagsEnum(
  file: string,
  members: readonly EnumMember[],
): { pageflags: PageflagMember[]; aliases: PageflagAlias[] } {
  const pageflags: PageflagMember[] = [];
  const aliases: PageflagAlias[] = [];
  let afterNr = false;
  for (const { tokens } of members) {
    const [first] = tokens;
    const text = joinTokens(tokens);
    if (first.text === '__NR_PAGEFLAGS') {
      afterNr = true;
      continue;
    }
    const plain = /^PG_(\w+)$/.exec(text);
    const alias = /^PG_(\w+) = PG_(\w+)$/.exec(text);
    if (!afterNr && plain) pageflags.push({ name: plain[1], line: first.line, cond: first.cond });
    else if (afterNr && alias)
      aliases.push({ name: alias[1], of: alias[2], line: first.line, cond: first.cond });
    else throw new Error(`${file}:${first.line}: unexpected enum pageflags member "${text}"`);
  }
  if (!afterNr) throw new Error(`${file}: enum pageflags has no __NR_PAGEFLAGS`);
  return { pageflags, aliases };
}

/** 6.12+: `enum pagetype { PGTY_buddy = 0xf0, ... }`; 6.1: `#define PG_buddy 0x00000080`. */
export function pageTypes(
  file: string,
  enumMembers: readonly EnumMember[] | undefined,
  defs: ReadonlyMap<string, readonly MacroDef[]>,
): { encoding: 'inverted-bits' | 'top-byte'; types: PageTypeDef[] } {
  if (enumMembers) {
    const types = enumMembers.map(({ tokens }) => {
      const m = /^PGTY_(\w+) = (\w+)$/.exec(joinTokens(tokens));
      const value = m ? parseCInteger(m[2]) : undefined;
      if (!m || value === undefined) {
        throw new Error(`${file}:${tokens[0].line}: unexpected enum pagetype member "${joinTokens(tokens)}"`);
      }
      return { name: m[1], value, line: tokens[0].line, cond: tokens[0].cond };
    });
    return { encoding: 'top-byte', types };
  }
  if (!defs.has('PAGE_TYPE_BASE')) throw new Error(`${file}: neither enum pagetype nor PAGE_TYPE_BASE found`);
  const types: PageTypeDef[] = [];
  for (const [name, list] of defs) {
    const m = /^PG_(\w+)$/.exec(name);
    for (const d of list) {
      const value = d.params === null ? parseCInteger(d.bodyText) : undefined;
      if (m && value !== undefined) types.push({ name: m[1], value, line: d.line, cond: d.cond });
    }
  }
  types.sort((a, b) => a.line - b.line);
  return { encoding: 'inverted-bits', types };
}

/** Expands every top-level invocation and describes each generated function. */
export function accessors(file: string, level: FileLevel, macros: MacroTable): Accessor[] {
  const out: Accessor[] = [];
  for (const inv of level.invocations) {
    const where = `${file}:${inv.line}`;
    let generated: GeneratedFunction[];
    try {
      generated = macros.expand(inv.macro, inv.args);
    } catch (err) {
      throw new Error(`${where}: ${inv.text}: ${(err as Error).message}`);
    }
    for (const fn of generated) {
      out.push({
        name: fn.name,
        ...classify(fn, macros, where),
        invocation: { macro: inv.macro, args: inv.args.map(joinArg), line: inv.line, text: inv.text },
        chain: fn.chain,
        template: fn.template,
        cond: inv.cond,
      });
    }
  }
  return out;
}

type Classified = Pick<Accessor, 'takes' | 'op' | 'flag' | 'policy' | 'folioPage' | 'enforce'>;

function classify(fn: GeneratedFunction, macros: MacroTable, where: string): Classified {
  const fail = (why: string): never => {
    throw new Error(`${where}: ${fn.name} (via ${fn.chain.join(' -> ')}): ${why}: ${fn.text}`);
  };
  const open = fn.text.indexOf('{');
  const params = fn.text.slice(fn.text.indexOf('('), open);
  const body = fn.text.slice(open + 1, fn.text.lastIndexOf('}')).trim();
  const takes = /\bstruct folio\b/.test(params) ? 'folio' : 'page';

  // page types: 6.1 PageType(page, PG_x) / page_type bits, 6.12+ PGTY_x in the top byte
  if (/\bpage_type\b|\bPageType\b|\bPGTY_/.test(body)) {
    // __folio_clear_##fname only resets page_type: the type is then the macro's lname argument
    const flag =
      (/\bPGTY_(\w+)/.exec(body) ?? /\bPG_(\w+)/.exec(body))?.[1] ??
      fn.bindings.get('lname') ??
      fail('no page type');
    const op: AccessorOp = /^(folio_test_|Page)/.test(fn.name)
      ? 'type_test'
      : /^(__folio_set_|__SetPage)/.test(fn.name)
        ? 'type_set'
        : /^(__folio_clear_|__ClearPage)/.test(fn.name)
          ? 'type_clear'
          : fail('unknown page type operation');
    return { takes, op, flag };
  }
  if (body === '' || body === 'return 0 ;' || body === 'return false ;') {
    const flag = stubFlag(fn) ?? fail('cannot tell which flag this stub stands for');
    return { takes, op: body === '' ? 'noop' : 'false', flag };
  }
  const bit = /\b(\w+) \( PG_(\w+) ,/.exec(body);
  const op = bit ? BIT_OPS[bit[1]] : undefined;
  if (!bit || !op) return fail('no recognised bit operation');
  const flag = bit[2];
  if (takes === 'folio') {
    const n = /\b(?:const_)?folio_flags \( folio , (\w+) \)/.exec(body) ?? fail('no folio_flags(folio, n)');
    return { takes, op, flag, folioPage: resolveNumber(n[1], macros, where) };
  }
  const pol = /& (\w+) \( page , ([01]) \) -> flags/.exec(body) ?? fail('no &policy(page, enforce)->flags');
  const policy = POLICIES.find((p) => p === pol[1]) ?? fail(`unknown policy ${pol[1]}`);
  return { takes, op, flag, policy, enforce: pol[2] === '1' ? 1 : 0 };
}

/** The PG_ lname a *_FALSE / *_NOOP stub is named after: the macro's lname/name argument. */
function stubFlag(fn: GeneratedFunction): string | undefined {
  return fn.bindings.get('lname') ?? fn.bindings.get('name') ?? fn.bindings.get('uname')?.toLowerCase();
}

/** FOLIO_PF_HEAD -> 0 through the header's own object-like #defines. */
function resolveNumber(text: string, macros: MacroTable, where: string): number {
  let current = text;
  for (let depth = 0; depth < 10; depth++) {
    const n = parseCInteger(current);
    if (n !== undefined) return n;
    const defs = macros.defs.get(current)?.filter((d) => d.params === null);
    if (!defs || defs.length === 0) break;
    if (new Set(defs.map((d) => d.bodyText)).size > 1)
      throw new Error(`${where}: ${current} defined differently`);
    current = defs[0].bodyText.replace(/^\((.*)\)$/, '$1').trim();
  }
  throw new Error(`${where}: cannot resolve folio page index "${text}" to a number`);
}
