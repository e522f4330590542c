/**
 * Line grammar of dump_page() output: one recogniser per pr_warn() / print_hex_dump() in
 * mm/debug.c (6.1 __dump_page, 6.12 __dump_folio/__dump_page), plus the dmesg prefixes around them.
 */
import type { DumpPageFlags, DumpPageHead, DumpPageReason } from './dumppage-types.js';

/** Removes `<4>`, `[  123.456789]`, `[T123]`/`[C1]` caller ids and a syslog "... kernel: " prefix. */
export function stripLogPrefix(line: string): string {
  return line
    .replace(/^\w{3} [ \d]\d \d\d:\d\d:\d\d \S+ kernel: /, '')
    .replace(/^<\d>/, '')
    .replace(/^\[\s*\d+\.\d+\]\s?/, '')
    .replace(/^\[\s*[TC]\d+\]\s?/, '')
    .trimEnd();
}

export type LineKind =
  | { kind: 'poisoned'; pointer: string; rest: string }
  | { kind: 'first'; layout: '6.1' | '6.12'; pointer?: string; kv: Record<string, string> }
  | { kind: 'nomatch' }
  | { kind: 'head'; head: DumpPageHead }
  | { kind: 'memcg'; value: bigint }
  | { kind: 'mapping'; text: string }
  | { kind: 'flags'; flags: DumpPageFlags }
  | { kind: 'pagetype'; value: number; name: string }
  | { kind: 'raw'; words: bigint[] }
  | { kind: 'headraw'; words: bigint[] }
  | { kind: 'reason'; reason: DumpPageReason }
  | { kind: 'error'; message: string }
  | { kind: 'other' };

const keyValues = (s: string): Record<string, string> =>
  Object.fromEntries([...s.matchAll(/(\w+):\s*(\S+)/g)].map((m) => [m[1], m[2]]));

const INT = /^-?\d+$/;
const HEX = /^0x[0-9a-f]+$/;

// 6.1 mm/debug.c: "page:%p refcount:%d mapcount:%d mapping:%p index:%#lx pfn:%#lx"
// 6.12 mm/debug.c: "page: refcount:%d mapcount:%d mapping:%p index:%#lx pfn:%#lx"
function firstLine(layout: '6.1' | '6.12', pointer: string | undefined, rest: string): LineKind {
  const kv = keyValues(rest);
  const count = kv.refcount ?? kv.count; // 4.x printed "count:"
  if (count === undefined || !INT.test(count) || (kv.mapcount !== undefined && !INT.test(kv.mapcount)))
    return { kind: 'error', message: 'dump_page first line without a numeric refcount/mapcount' };
  for (const k of ['index', 'pfn'])
    if (kv[k] !== undefined && !HEX.test(kv[k]) && kv[k] !== '0')
      return { kind: 'error', message: `dump_page first line: ${k} is not %#lx` };
  return { kind: 'first', layout, ...(pointer ? { pointer } : {}), kv };
}

// "head:%p order:%u compound_mapcount:%d compound_pincount:%d" (6.1) /
// "head: order:%u mapcount:%d entire_mapcount:%d nr_pages_mapped:%d pincount:%d" (6.12)
function headLine(pointer: string | undefined, rest: string): LineKind {
  const kv = keyValues(rest);
  const values: Record<string, number> = {};
  for (const [k, v] of Object.entries(kv)) {
    if (!INT.test(v)) return { kind: 'error', message: `head line: ${k}:${v} is not a number` };
    values[k] = Number(v);
  }
  if (values.order === undefined) return { kind: 'error', message: 'head line without order:' };
  return { kind: 'head', head: { ...(pointer ? { pointer } : {}), order: values.order, values } };
}

// "%sflags: %pGp%s" — %pGp from lib/vsprintf.c format_page_flags (6.1 and 6.12 identical)
function flagsLine(prefix: string | undefined, rest: string): LineKind {
  const m = /^(0x[0-9a-f]+)\((.*)\)( CMA)?$/.exec(rest);
  if (!m) return { kind: 'error', message: 'flags line is not "0x<word>(<names>)"' };
  const names: string[] = [];
  const unnamed: bigint[] = [];
  const fields: Record<string, number> = {};
  for (const part of m[2] ? m[2].split('|') : []) {
    const f = /^(\w+)=(0x[0-9a-f]+|\d+)$/.exec(part);
    if (f) fields[f[1]] = Number(f[2]);
    else if (HEX.test(part)) unnamed.push(BigInt(part));
    else if (/^\w+$/.test(part)) names.push(part);
    else return { kind: 'error', message: `flags line: cannot read "${part}"` };
  }
  const p = prefix === 'anon' || prefix === 'ksm' ? prefix : '';
  return { kind: 'flags', flags: { prefix: p, word: BigInt(m[1]), names, unnamed, fields, cma: !!m[3] } };
}

// print_hex_dump(KERN_WARNING, "raw: ", DUMP_PREFIX_NONE, 32, sizeof(unsigned long), ...): 4 x %016lx
function hexWords(rest: string): bigint[] | undefined {
  const words = rest.split(' ');
  if (words.length < 1 || words.length > 4 || !words.every((w) => /^[0-9a-f]{16}$/.test(w))) return undefined;
  return words.map((w) => BigInt('0x' + w));
}

// include/linux/mmdebug.h: dump_page(page, "VM_BUG_ON_PAGE(" __stringify(cond) ")") and friends
function reason(text: string): DumpPageReason {
  const m = /^(VM_(?:BUG_ON|WARN_ON|WARN_ON_ONCE)_(?:PAGE|FOLIO))\((.*)\)$/.exec(text);
  return m ? { text, macro: m[1], condition: m[2] } : { text };
}

export function classify(line: string): LineKind {
  let m: RegExpExecArray | null;
  if ((m = /^page:(\S+) is uninitialized and poisoned(.*)$/.exec(line)))
    return { kind: 'poisoned', pointer: m[1], rest: m[2] };
  if ((m = /^page: (refcount:.*)$/.exec(line))) return firstLine('6.12', undefined, m[1]);
  if ((m = /^page:(\S+) ((?:ref)?count:.*)$/.exec(line))) return firstLine('6.1', m[1], m[2]);
  if (line === 'page does not match folio') return { kind: 'nomatch' };
  if ((m = /^head: (order:.*)$/.exec(line))) return headLine(undefined, m[1]);
  if ((m = /^head:(\S+) (order:.*)$/.exec(line))) return headLine(m[1], m[2]);
  if ((m = /^head: (.*)$/.exec(line))) {
    const words = hexWords(m[1]);
    return words
      ? { kind: 'headraw', words }
      : { kind: 'error', message: 'head: line is neither order:… nor 4 hex words' };
  }
  if ((m = /^raw: (.*)$/.exec(line))) {
    const words = hexWords(m[1]);
    return words
      ? { kind: 'raw', words }
      : { kind: 'error', message: 'raw: line is not up to 4 x %016lx words' };
  }
  // 6.1/6.12 "memcg:%lx"; 5.x "page->mem_cgroup:%px"
  if ((m = /^(?:memcg|page->mem_cgroup):([0-9a-f]+)$/.exec(line)))
    return { kind: 'memcg', value: BigInt('0x' + m[1]) };
  if (/^(aops:|invalid mapping:)/.test(line)) return { kind: 'mapping', text: line };
  if ((m = /^(?:(anon|ksm) )?flags: (.*)$/.exec(line))) return flagsLine(m[1], m[2]);
  // 6.12: "page_type: %x(%s)" (page_type >> 24); 6.9-era "%pGt" printed "0x<word>(<name>)"
  if ((m = /^page_type: (?:0x)?([0-9a-f]+)\((.*)\)$/.exec(line)))
    return { kind: 'pagetype', value: parseInt(m[1], 16), name: m[2] };
  if (line.startsWith('page_type:')) return { kind: 'error', message: 'page_type line is not "%x(%s)"' };
  if ((m = /^page dumped because: (.*)$/.exec(line))) return { kind: 'reason', reason: reason(m[1]) };
  return { kind: 'other' };
}
