/**
 * Parser for dump_page() reports (mm/debug.c dump_page, 6.1 and 6.12 layouts, 5.x where the lines
 * match the 6.1 shapes) as found in dmesg or bug reports: groups lines into blocks, keeps every
 * value as printed, and guesses the kernel profile from the layout and the flag names.
 */
import { classify, stripLogPrefix, type LineKind } from './dumppage-lines.js';
import type {
  DumpPageBlock,
  DumpPageError,
  DumpPageLayout,
  DumpPageLine,
  DumpPageParseResult,
  ProfileGuess,
} from './dumppage-types.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Builder = Mutable<Omit<DumpPageBlock, 'profileGuess' | 'lines' | 'raw' | 'headRaw' | 'mappingInfo'>> & {
  lines: Record<string, number[]>;
  raw: bigint[];
  headRaw: bigint[];
  mappingInfo: string[];
};

// __def_pageflag_names (include/trace/events/mmflags.h): names only one version prints
const ONLY_6_1 = ['error', 'slab', 'mappedtodisk', 'uncached', 'skip_kasan_poison'];
const ONLY_6_12 = ['owner_2', 'arch_3'];

function guessProfile(b: Builder): ProfileGuess {
  const evidence: string[] = [];
  let v61 = 0;
  let v612 = 0;
  if (b.layout === '6.1') {
    v61++;
    evidence.push('layout: "page:%p refcount:…" with the page pointer (mm/debug.c up to 6.1)');
  } else if (b.layout === '6.12') {
    v612++;
    evidence.push('layout: "page: refcount:…" without page pointer (6.12 mm/debug.c)');
  }
  if (b.head?.values.compound_mapcount !== undefined) {
    v61++;
    evidence.push('head line has compound_mapcount (6.1 mm/debug.c)');
  }
  if (b.head?.values.entire_mapcount !== undefined) {
    v612++;
    evidence.push('head line has entire_mapcount/nr_pages_mapped (6.12 mm/debug.c)');
  }
  if (b.pageType) {
    v612++;
    evidence.push('page_type line (printed since 6.9; 6.12 mm/debug.c)');
  }
  for (const n of b.flags?.names ?? []) {
    if (ONLY_6_1.includes(n)) {
      v61++;
      evidence.push(`flag name "${n}" exists in 6.1 mmflags.h, not in 6.12`);
    }
    if (ONLY_6_12.includes(n)) {
      v612++;
      evidence.push(`flag name "${n}" exists in 6.12 mmflags.h, not in 6.1`);
    }
  }
  if (v61 && v612) return { evidence: [...evidence, 'contradictory evidence'] };
  if (v612) return { profile: '6.12', evidence: [...evidence, 'mainline prints the same lines'] };
  if (v61) return { profile: '6.1', evidence };
  return { evidence: ['no layout or flag-name evidence'] };
}

function newBlock(layout: DumpPageLayout, line: number, doesNotMatchFolio: boolean): Builder {
  return {
    layout,
    lines: {},
    firstLine: line,
    lastLine: line,
    extra: {},
    mappingInfo: [],
    raw: [],
    headRaw: [],
    doesNotMatchFolio,
  };
}

function finish(b: Builder): DumpPageBlock {
  return { ...b, profileGuess: guessProfile(b) };
}

/** Adds a line to the current block; false if the block already has what this line would supply. */
function accept(b: Builder, k: LineKind): boolean {
  switch (k.kind) {
    case 'head':
      if (b.head) return false;
      b.head = k.head;
      return true;
    case 'memcg':
      if (b.memcg !== undefined) return false;
      b.memcg = k.value;
      return true;
    case 'mapping':
      b.mappingInfo.push(k.text);
      return true;
    case 'flags':
      if (b.flags) return false;
      b.flags = k.flags;
      return true;
    case 'pagetype':
      if (b.pageType) return false;
      b.pageType = { value: k.value, name: k.name };
      return true;
    case 'raw':
      if (b.raw.length >= 8) return false; // sizeof(struct page) = 64 bytes = 2 lines
      b.raw.push(...k.words);
      return true;
    case 'headraw':
      // 6.1: one struct page (2 lines); 6.12: 2 * sizeof(struct page) (4 lines)
      if (b.headRaw.length >= 16) return false;
      b.headRaw.push(...k.words);
      return true;
    case 'reason':
      if (b.reason) return false;
      b.reason = k.reason;
      return true;
    default:
      return false;
  }
}

function applyFirst(b: Builder, k: Extract<LineKind, { kind: 'first' }>): void {
  const { refcount, count, mapcount, mapping, index, pfn, ...extra } = k.kv;
  if (k.pointer) b.pagePointer = k.pointer;
  b.refcount = Number(refcount ?? count);
  if (mapcount !== undefined) b.mapcount = Number(mapcount);
  if (mapping !== undefined) b.mapping = mapping;
  if (index !== undefined) b.index = BigInt(index);
  if (pfn !== undefined) b.pfn = BigInt(pfn);
  b.extra = extra;
}

export function parseDumpPage(text: string): DumpPageParseResult {
  const blocks: DumpPageBlock[] = [];
  const unassigned: DumpPageLine[] = [];
  const errors: DumpPageError[] = [];
  let cur: Builder | undefined;
  let pendingNoMatch: number | undefined;
  const close = (): void => {
    if (cur) blocks.push(finish(cur));
    cur = undefined;
  };
  const mark = (b: Builder, role: string, line: number): void => {
    (b.lines[role] ??= []).push(line);
    b.lastLine = line;
  };

  const raw = text.split(/\r?\n/);
  if (raw.length && raw[raw.length - 1] === '') raw.pop();
  raw.forEach((original, i) => {
    const n = i + 1;
    const line = stripLogPrefix(original);
    const k = classify(line);
    if (k.kind === 'error') {
      errors.push({ line: n, text: original, message: k.message });
      return;
    }
    if (k.kind === 'nomatch') {
      // 6.12 __dump_page prints this before __dump_folio's first line
      close();
      pendingNoMatch = n;
      return;
    }
    if (k.kind === 'first' || k.kind === 'poisoned') {
      close();
      cur = newBlock(
        k.kind === 'first' ? k.layout : 'poisoned',
        pendingNoMatch ?? n,
        pendingNoMatch !== undefined,
      );
      if (pendingNoMatch !== undefined) mark(cur, 'doesNotMatchFolio', pendingNoMatch);
      pendingNoMatch = undefined;
      mark(cur, 'page', n);
      if (k.kind === 'first') applyFirst(cur, k);
      else {
        cur.pagePointer = k.pointer;
        // the poisoned message has no newline; a log may show the reason glued to it
        if (k.rest.startsWith('page dumped because: ') && accept(cur, classify(k.rest)))
          mark(cur, 'reason', n);
        else if (k.rest)
          errors.push({ line: n, text: original, message: 'unexpected text after "poisoned"' });
      }
      return;
    }
    if (pendingNoMatch !== undefined) {
      unassigned.push({ line: pendingNoMatch, text: raw[pendingNoMatch - 1] });
      pendingNoMatch = undefined;
    }
    if (cur && k.kind !== 'other' && accept(cur, k)) mark(cur, k.kind, n);
    else unassigned.push({ line: n, text: original });
  });
  close();
  if (pendingNoMatch !== undefined) unassigned.push({ line: pendingNoMatch, text: raw[pendingNoMatch - 1] });
  return { blocks, unassigned, errors };
}
