import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDumpPage } from '../../src/explain/dumppage-parse.js';
import { explainDumpPage, type PageFlagsDecoder } from '../../src/explain/dumppage-explain.js';
import { dumpPageJson } from '../../src/cli/commands/decode-dumppage.js';
import { explainVmBugCondition } from '../../src/explain/vm-bug-conditions.js';
import { SAMPLES } from '../helpers/shared.js';

describe('public samples', () => {
  it('dump-page-5.18-refcount-underflow.txt (6.1-family layout)', () => {
    const r = parseDumpPage(readFileSync(`${SAMPLES}/dump-page-5.18-refcount-underflow.txt`, 'utf8'));
    expect(r.errors).toEqual([]);
    expect(r.unassigned).toEqual([]);
    expect(r.blocks).toHaveLength(1);
    const b = r.blocks[0];
    expect(b.layout).toBe('6.1');
    expect(b.pagePointer).toBe('ffffea0004a39c40');
    expect([b.refcount, b.mapcount, b.mapping, b.index, b.pfn]).toEqual([
      0,
      0,
      '0000000000000000',
      1n,
      0x128e71n,
    ]);
    expect(b.flags).toEqual({
      prefix: '',
      word: 0x17ff80000000000n,
      names: [],
      unnamed: [],
      fields: { node: 0, zone: 2, lastcpupid: 0xfff },
      cma: false,
    });
    expect(b.raw).toEqual([0x017ff80000000000n, 0n, 0xffffffff00000203n, 0n, 1n, 0n, 0xffffffffn, 0n]);
    expect(b.headRaw).toEqual([]);
    expect(b.reason).toEqual({
      text: 'VM_BUG_ON_FOLIO(((unsigned int) folio_ref_count(folio) + 127u <= 127u))',
      macro: 'VM_BUG_ON_FOLIO',
      condition: '((unsigned int) folio_ref_count(folio) + 127u <= 127u)',
    });
    expect(b.lines).toEqual({ page: [1], flags: [2], raw: [3, 4], reason: [5] });
    expect(b.profileGuess.profile).toBe('6.1');
  });

  it('dump-page-6.12-slab.txt (6.12 layout, slab page type, 4 head raw lines)', () => {
    const r = parseDumpPage(readFileSync(`${SAMPLES}/dump-page-6.12-slab.txt`, 'utf8'));
    expect(r.errors).toEqual([]);
    expect(r.unassigned).toEqual([]);
    const b = r.blocks[0];
    expect(b.layout).toBe('6.12');
    expect(b.pagePointer).toBeUndefined();
    expect([b.refcount, b.mapcount, b.index, b.pfn]).toEqual([1, 0, 0n, 0x11818n]);
    expect(b.head).toEqual({
      order: 3,
      values: { order: 3, mapcount: 0, entire_mapcount: 0, nr_pages_mapped: 0, pincount: 0 },
    });
    expect(b.flags?.names).toEqual(['head']);
    expect(b.flags?.fields).toEqual({ node: 0, zone: 1, lastcpupid: 0x7ff });
    expect(b.pageType).toEqual({ value: 0xf5, name: 'slab' });
    expect(b.raw[6]).toBe(0x00000001f5000000n); // _refcount 1 above page_type 0xf5000000
    expect(b.headRaw).toHaveLength(16);
    expect(b.headRaw[9]).toBe(0xffffea0000460601n); // second page: compound_head = folio | 1
    expect(b.reason).toEqual({ text: 'kasan: bad access detected' });
    expect(b.profileGuess.profile).toBe('6.12');
  });
});

// 6.1 mm/debug.c __dump_page, line by line:
//  1 "page:%p refcount:%d mapcount:%d mapping:%p index:%#lx pfn:%#lx\n"
//  2 "head:%p order:%u compound_mapcount:%d compound_pincount:%d\n"   (PageCompound)
//  3 "memcg:%lx\n"                                                     (head->memcg_data)
//  4 "%sflags: %pGp%s\n" with "anon " and " CMA"; %pGp = lib/vsprintf.c format_page_flags
//    (6.1 bits: uptodate 2, lru 4, head 16, swapbacked 19 -> 0x90014; node/zone/lastcpupid fields)
//  5-6 print_hex_dump("raw: ", rowsize 32, groupsize 8): 4 x %016lx per line, 64 bytes
//  7-8 print_hex_dump("head: ", ...) of the head page (head != page)
//  9 dump_page(): "page dumped because: %s\n" with VM_BUG_ON_PAGE("VM_BUG_ON_PAGE(" #cond ")")
// with dmesg timestamps and printk caller ids, and a "cut here" line that belongs to nothing.
const HAND_6_1 = `[  101.000001] ------------[ cut here ]------------
[  101.000002] page:00000000a1b2c3d4 refcount:513 mapcount:1 mapping:0000000000000000 index:0x7f0001 pfn:0x12345
[  101.000003] head:00000000e5f6a7b8 order:9 compound_mapcount:1 compound_pincount:0
[  101.000004] memcg:ffff888100a2c000
[  101.000005] anon flags: 0x17ffffc0090014(uptodate|lru|head|swapbacked|node=0|zone=2|lastcpupid=0x1fffff) CMA
[  101.000006] raw: 017ffffc00000000 ffffea000048d001 dead000000000122 dead000000000400
[  101.000007] raw: 0000000000000001 0000000000000000 0000000000000000 0000000000000000
[  101.000008] head: 017ffffc00090014 ffffea000048c008 ffffea000048c008 ffff888100bc0001
[  101.000009] head: 00000007f0000000 0000000000000000 0000020100000000 ffff888100a2c000
[  101.000010] page dumped because: VM_BUG_ON_PAGE(PageTail(page))
`;

// 6.12 mm/debug.c __dump_page/__dump_folio, with "<4>" log levels and "[ T1234]" caller ids:
//  block A (small buddy page):
//   "page: refcount:%d mapcount:%d mapping:%p index:%#lx pfn:%#lx\n" (mapcount 0: typed)
//   "%sflags: %pGp%s\n" (no name bits set: only node/zone/lastcpupid)
//   "page_type: %x(%s)\n" = page_type >> 24, page_type_name(): f0 -> buddy
//   2 x "raw: " lines, then "page dumped because: %s\n"
//  block B ("page does not match folio\n" first, then the page dumped as a small page)
//  block C (large anon folio, order 4): "head: order:%u mapcount:%d entire_mapcount:%d
//   nr_pages_mapped:%d pincount:%d\n", "memcg:%lx\n", "anon flags: …" (6.12 bits: uptodate 3,
//   lru 5, head 6, owner_2 11 = anon_exclusive, swapbacked 17; printed in
//   __def_pageflag_names order, owner_2 before head), 2 raw + 4 head raw lines
//  block D zsmalloc: page_type_names[] has no entry for PGTY_zsmalloc, so "%s" prints "(null)"
const HAND_6_12 = `<4>[ 2001.000001][ T1234] page: refcount:0 mapcount:0 mapping:0000000000000000 index:0x0 pfn:0x1a2b3
<4>[ 2001.000002][ T1234] flags: 0x17ffffc0000000(node=0|zone=2|lastcpupid=0x1fffff)
<4>[ 2001.000003][ T1234] page_type: f0(buddy)
<4>[ 2001.000004][ T1234] raw: 017ffffc00000000 ffffea000068ac88 ffff88813fffa0c0 0000000000000000
<4>[ 2001.000005][ T1234] raw: 0000000000000000 0000000000000003 00000000f0000000 0000000000000000
<4>[ 2001.000006][ T1234] page dumped because: VM_BUG_ON_PAGE(PageBuddy(page))
<4>[ 2001.000007][ T1234] page does not match folio
<4>[ 2001.000008][ T1234] page: refcount:1 mapcount:1 mapping:ffff888100000001 index:0x10 pfn:0x2000
<4>[ 2001.000009][ T1234] anon flags: 0x17ffffc0000028(uptodate|lru|node=0|zone=2|lastcpupid=0x1fffff)
<4>[ 2001.000010][ T1234] raw: 017ffffc00000028 ffffea0000080008 ffffea0000080008 ffff888100000001
<4>[ 2001.000011][ T1234] raw: 0000000000000010 0000000000000000 0000000100000000 0000000000000000
<4>[ 2001.000012][ T1235] [snip]
<4>[ 2001.000013][ T1234] page: refcount:17 mapcount:1 mapping:ffff888100000001 index:0x7f10 pfn:0x3003
<4>[ 2001.000014][ T1234] head: order:4 mapcount:16 entire_mapcount:0 nr_pages_mapped:16 pincount:0
<4>[ 2001.000015][ T1234] memcg:ffff888100a2c000
<4>[ 2001.000016][ T1234] anon flags: 0x17ffffc0020868(uptodate|lru|owner_2|head|swapbacked|node=0|zone=2|lastcpupid=0x1fffff)
<4>[ 2001.000017][ T1234] raw: 017ffffc00000000 ffffea00000c0001 dead000000000122 0000000000000000
<4>[ 2001.000018][ T1234] raw: 0000000000000000 0000000000000000 00000000000000000 0000000000000000
<4>[ 2001.000019][ T1234] head: 017ffffc00020868 ffffea00000c4408 ffffea00000c4408 ffff888100000001
<4>[ 2001.000020][ T1234] head: 0000000000007f0d 0000000000000000 0000001100000000 ffff888100a2c000
<4>[ 2001.000021][ T1234] head: 017ffffc00000804 ffffea00000c0001 ffffffffffffffff 000000100000000f
<4>[ 2001.000022][ T1234] head: 0000000000000000 0000000000000000 00000000ffffffff 0000000000000000
<4>[ 2001.000023][ T1234] page dumped because: VM_WARN_ON_FOLIO(folio_test_large(folio))
<4>[ 2001.000024][ T1234] page: refcount:1 mapcount:0 mapping:0000000000000000 index:0x0 pfn:0x4004
<4>[ 2001.000025][ T1234] flags: 0x17ffffc0000000(node=0|zone=2|lastcpupid=0x1fffff)
<4>[ 2001.000026][ T1234] page_type: f6((null))
`;

describe('hand-made 6.1 block (dmesg timestamps)', () => {
  const r = parseDumpPage(HAND_6_1);
  const b = r.blocks[0];
  it('reports the cut-here line as unassigned, with its line number', () => {
    expect(r.unassigned).toEqual([{ line: 1, text: '[  101.000001] ------------[ cut here ]------------' }]);
    expect(r.errors).toEqual([]);
  });
  it('reads every field', () => {
    expect([b.firstLine, b.lastLine]).toEqual([2, 10]);
    expect([b.pagePointer, b.refcount, b.mapcount, b.index, b.pfn]).toEqual([
      '00000000a1b2c3d4',
      513,
      1,
      0x7f0001n,
      0x12345n,
    ]);
    expect(b.head).toEqual({
      pointer: '00000000e5f6a7b8',
      order: 9,
      values: { order: 9, compound_mapcount: 1, compound_pincount: 0 },
    });
    expect(b.memcg).toBe(0xffff888100a2c000n);
    expect(b.flags).toMatchObject({ prefix: 'anon', word: 0x17ffffc0090014n, cma: true });
    expect(b.flags?.names).toEqual(['uptodate', 'lru', 'head', 'swapbacked']);
    expect(b.raw).toHaveLength(8);
    expect(b.headRaw).toHaveLength(8);
    expect(b.headRaw[0]).toBe(0x017ffffc00090014n);
    expect(b.reason?.macro).toBe('VM_BUG_ON_PAGE');
    expect(b.reason?.condition).toBe('PageTail(page)');
    expect(b.lines.head).toEqual([3]);
    expect(b.lines.headraw).toEqual([8, 9]);
  });
  it('guesses 6.1 from the layout and compound_mapcount', () => {
    expect(b.profileGuess.profile).toBe('6.1');
    expect(b.profileGuess.evidence.join()).toMatch(/compound_mapcount/);
  });
});

describe('hand-made 6.12 blocks (log levels, caller ids)', () => {
  const r = parseDumpPage(HAND_6_12);
  it('finds four blocks, keeps [snip], and rejects the malformed raw line', () => {
    expect(r.blocks.map((b) => [b.firstLine, b.lastLine])).toEqual([
      [1, 6],
      [7, 11],
      [13, 23],
      [24, 26],
    ]);
    expect(r.unassigned).toEqual([{ line: 12, text: '<4>[ 2001.000012][ T1235] [snip]' }]);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0].line).toBe(18);
    expect(r.errors[0].text).toContain('00000000000000000');
  });
  it('buddy page: typed, mapcount printed as 0, page_type f0', () => {
    const b = r.blocks[0];
    expect([b.layout, b.refcount, b.mapcount, b.pfn]).toEqual(['6.12', 0, 0, 0x1a2b3n]);
    expect(b.pageType).toEqual({ value: 0xf0, name: 'buddy' });
    expect(b.raw[6]).toBe(0xf0000000n);
    expect(b.reason?.condition).toBe('PageBuddy(page)');
  });
  it('"page does not match folio" starts the next block', () => {
    const b = r.blocks[1];
    expect(b.doesNotMatchFolio).toBe(true);
    expect(b.lines.doesNotMatchFolio).toEqual([7]);
    expect(b.flags?.prefix).toBe('anon');
  });
  it('large folio: head line, memcg, owner_2, 4 head raw lines', () => {
    const b = r.blocks[2];
    expect(b.head?.values).toEqual({
      order: 4,
      mapcount: 16,
      entire_mapcount: 0,
      nr_pages_mapped: 16,
      pincount: 0,
    });
    expect(b.flags?.names).toContain('owner_2');
    expect(b.headRaw).toHaveLength(16);
    expect(b.raw).toHaveLength(4); // the second raw line was malformed
    expect(b.profileGuess.profile).toBe('6.12');
    expect(b.profileGuess.evidence.join()).toMatch(/owner_2/);
    expect(b.reason?.macro).toBe('VM_WARN_ON_FOLIO');
  });
  it('zsmalloc page_type prints (null)', () => {
    expect(r.blocks[3].pageType).toEqual({ value: 0xf6, name: '(null)' });
  });
});

describe('other shapes', () => {
  it('poisoned page, with the reason on its own line or glued (no newline after "poisoned")', () => {
    const r = parseDumpPage(
      'page:000000003f1a2b3c is uninitialized and poisoned\n' +
        'page dumped because: VM_BUG_ON_PAGE(PagePoisoned(p))\n' +
        'page:000000004f1a2b3c is uninitialized and poisonedpage dumped because: VM_BUG_ON_PAGE(1)\n',
    );
    expect(r.blocks.map((b) => [b.layout, b.pagePointer, b.reason?.condition])).toEqual([
      ['poisoned', '000000003f1a2b3c', 'PagePoisoned(p)'],
      ['poisoned', '000000004f1a2b3c', '1'],
    ]);
    expect(r.unassigned).toEqual([]);
  });
  it('contradictory evidence gives no profile', () => {
    const r = parseDumpPage(
      'page: refcount:1 mapcount:0 mapping:0000000000000000 index:0x0 pfn:0x1\nflags: 0x100(error)\n',
    );
    expect(r.blocks[0].profileGuess.profile).toBeUndefined();
  });
  it('a malformed first line is an error quoting it', () => {
    const r = parseDumpPage('page: refcount:x mapcount:0\n');
    expect(r.blocks).toEqual([]);
    expect(r.errors).toEqual([
      {
        line: 1,
        text: 'page: refcount:x mapcount:0',
        message: 'dump_page first line without a numeric refcount/mapcount',
      },
    ]);
  });
  it('a dump_page line with no block before it is unassigned', () => {
    expect(parseDumpPage('raw: 0000000000000000\n').unassigned).toEqual([
      { line: 1, text: 'raw: 0000000000000000' },
    ]);
  });
  it('JSON renders bigints as hex strings', () => {
    const j = JSON.parse(dumpPageJson(parseDumpPage(HAND_6_1))) as {
      blocks: Array<{ pfn: string; raw: string[] }>;
    };
    expect(j.blocks[0].pfn).toBe('0x12345');
    expect(j.blocks[0].raw[0]).toBe('0x17ffffc00000000');
  });
});

describe('explanation hook', () => {
  it('uses a profile decoder to compare printed flag names', () => {
    const decoder: PageFlagsDecoder = {
      profile: '6.12',
      flagNames: () => ['uptodate'],
      explainFlag: (n) => (n === 'lru' ? 'on an LRU list' : undefined),
    };
    const b = parseDumpPage(HAND_6_12).blocks[1];
    const lines = explainDumpPage(b, decoder);
    expect(lines.some((l) => l.includes('would print "uptodate"'))).toBe(true);
    expect(lines).toContain('lru: on an LRU list');
    expect(lines.some((l) => l.startsWith('mapcount = raw _mapcount + 1'))).toBe(true);
  });
});

describe('VM_BUG_ON conditions in words', () => {
  it('the 5.18 refcount-underflow report: folio_get on a freed page', () => {
    const text = readFileSync(`${SAMPLES}/dump-page-5.18-refcount-underflow.txt`, 'utf8');
    const [block] = parseDumpPage(text).blocks;
    expect(explainVmBugCondition(block.reason!.condition!)).toMatch(
      /^folio_get\(\)\/get_page\(\).*refcount is 0/,
    );
    expect(explainVmBugCondition('1 && PageTail(page)')).toMatch(/PF_NO_TAIL/);
    expect(explainVmBugCondition('something else')).toBeUndefined();
  });
});
