/**
 * decode flags / page-type / mapcount on real data: the flags words of the dump_page samples
 * (checked against the %pGp text the reporting kernels printed), the flags= strings of the real
 * 6.1/6.12 traces with the traces' own kernel.config, and the mapcount= values those traces show.
 */
import { describe, expect, it } from 'vitest';
import { decodeFlags, parseFlagsWord } from '../../src/explain/decode-flags.js';
import { decodePageType, decodeTraceMapcount } from '../../src/explain/decode-pagetype.js';
import { parse_page_flags } from '../../src/kernel/flag_names.js';
import { loadProfile } from '../../src/kernel/profiles/index.js';
import { runCli } from '../helpers/cli.js';
import { readShared, reportProfile, traceProfile } from '../helpers/shared.js';

/** `flags: 0x…(…)` of a dump_page sample: the word and the %pGp text */
function sampleFlags(file: string): { word: bigint; pGp: string } {
  const line = /^flags: (0x[0-9a-f]+\(.*\))$/m.exec(readShared('samples', file));
  if (!line) throw new Error(`${file}: no flags: line`);
  return { word: parseFlagsWord(line[1].slice(0, line[1].indexOf('('))), pGp: line[1] };
}

describe('decode flags: dump_page samples', () => {
  it('5.18 refcount underflow (6.1 layout, NR_CPUS 16): %pGp and fields', () => {
    const { word, pGp } = sampleFlags('dump-page-5.18-refcount-underflow.txt');
    const d = decodeFlags(reportProfile('6.1', 16), word);
    expect(d.pGp).toBe(pGp);
    expect(d.bits).toEqual([]);
    expect(d.showPageFlags).toBe('none');
    const f = Object.fromEntries(d.fields.map((x) => [x.name, x]));
    expect([f.node.value, f.zone.text, f.lastcpupid.value]).toEqual([0, 'Normal', 0xfff]);
    expect(f.lastcpupid.text).toBe('unset (all ones)');
  });

  it('6.12 slab folio (NR_CPUS 8): head word, and page[1] holds order 3', () => {
    const text = readShared('samples', 'dump-page-6.12-slab.txt');
    const { word, pGp } = sampleFlags('dump-page-6.12-slab.txt');
    const p = reportProfile('6.12', 8);
    const d = decodeFlags(p, word);
    expect(d.pGp).toBe(pGp);
    expect(d.bits.map((b) => [b.bit, b.member, b.meaning])).toEqual([[6, 'head', 'head']]);
    expect(d.fields.find((x) => x.name === 'zone')?.text).toBe('DMA32');
    // the third `head:` raw line is page[1]: its first word is page[1].flags
    const raws = Array.from(text.matchAll(/^head: ([0-9a-f]{16}) /gm), (m) => m[1]);
    const second = decodeFlags(p, parseFlagsWord(raws[2]), { secondPage: true });
    expect(second.folioOrder).toBe(Number(/order:(\d+)/.exec(text)![1]));
    expect(second.bits).toEqual([]);
  });

  it('second-page aliases: 6.12 active/workingset/reclaim on page[1]', () => {
    const p = loadProfile('6.12');
    const w = (1n << 8n) | (1n << 9n) | (1n << 16n) | 4n;
    const d = decodeFlags(p, w, { secondPage: true });
    expect(d.folioOrder).toBe(4);
    expect(d.bits.map((b) => b.meaning)).toEqual(['has_hwpoisoned', 'large_rmappable', 'partially_mapped']);
    // the same word on an ordinary page
    expect(decodeFlags(p, w & ~0xffn).bits.map((b) => b.meaning)).toEqual([
      'active',
      'workingset',
      undefined,
    ]);
  });

  it('6.1 second page: PG_error is has_hwpoisoned, no order in the flags word', () => {
    const d = decodeFlags(loadProfile('6.1'), 1n << 8n, { secondPage: true });
    expect(d.folioOrder).toBeUndefined();
    expect(d.bits.map((b) => [b.member, b.meaning])).toEqual([['error', 'has_hwpoisoned']]);
  });
});

/** distinct flags= strings of the workloads' traces */
function traceFlagStrings(version: '6.1' | '6.12'): string[] {
  const out = new Set<string>();
  for (const w of ['fork_cow', 'file_mmap', 'thp'])
    for (const m of readShared('traces', version, w, 'trace.txt.gz').matchAll(/ flags=(\S+)/g)) out.add(m[1]);
  return [...out];
}

describe.each(['6.1', '6.12'] as const)('decode flags: flags= strings of the real %s traces', (version) => {
  const p = traceProfile(version);
  const strings = traceFlagStrings(version);

  it('every word decodes back to the string the kernel printed, bit by bit', () => {
    expect(strings.length).toBeGreaterThan(30);
    for (const s of strings) {
      const lo = parse_page_flags(p, s);
      expect(lo, s).toBeDefined();
      const d = decodeFlags(p, BigInt(lo!));
      expect(d.showPageFlags).toBe(s);
      const printed = s === 'none' ? [] : s.split('|');
      expect(d.bits.length).toBe(printed.length);
    }
  });

  it('owner bits read by context: anon_exclusive with swapbacked, swapcache only with swapbacked', () => {
    const anonBit = version === '6.12' ? 'owner_2' : 'mappedtodisk';
    const anon = strings.find((s) => s.split('|').includes(anonBit) && s.includes('swapbacked'));
    expect(anon).toBeDefined();
    const d = decodeFlags(p, BigInt(parse_page_flags(p, anon!)!));
    expect(d.bits.find((b) => b.member === anonBit)?.meaning).toBe('anon_exclusive');
    const ownerPriv = (1 << p.bits.get('owner_priv_1')!) >>> 0;
    const swapbacked = (1 << p.bits.get('swapbacked')!) >>> 0;
    expect(decodeFlags(p, BigInt(ownerPriv | swapbacked)).bits[0].meaning).toBe('swapcache');
    expect(decodeFlags(p, BigInt(ownerPriv)).bits[0].meaning).toBeUndefined();
  });
});

describe('decode mapcount / page-type', () => {
  it('every mapcount= value of the real 6.12 traces', () => {
    const p = traceProfile('6.12');
    const seen = new Set<number>();
    for (const w of ['fork_cow', 'file_mmap', 'thp', 'compaction'])
      for (const m of readShared('traces', '6.12', w, 'trace.txt.gz').matchAll(/ mapcount=(-?\d+)/g))
        seen.add(Number(m[1]));
    expect(seen.has(-184549376)).toBe(true);
    for (const v of seen) {
      const d = decodeTraceMapcount(p, v);
      if (v === -184549376)
        expect([d.pageType.kind, d.pageType.type, d.pageType.word]).toEqual(['type', 'slab', '0xf5000000']);
      else if (v === -1) expect(d.pageType.kind).toBe('none');
      else expect(d.pageType).toMatchObject({ kind: 'mapcount', mapcount: v + 1 });
    }
  });

  it('every mapcount= value of the real 6.1 traces is page_mapcount(): 0 = unmapped', () => {
    const p = traceProfile('6.1');
    const seen = new Set<number>();
    for (const w of ['fork_cow', 'file_mmap', 'thp'])
      for (const m of readShared('traces', '6.1', w, 'trace.txt.gz').matchAll(/ mapcount=(-?\d+)/g))
        seen.add(Number(m[1]));
    for (const v of seen) {
      const d = decodeTraceMapcount(p, v);
      if (v === 0) expect(d.pageType.kind).toBe('none');
      else expect(d.pageType).toMatchObject({ kind: 'mapcount', mapcount: v });
    }
  });

  // not seen in the captured traces; values from page-flags.h (6.1:975-978 PG_*, 6.12:942-949 PGTY_*)
  it.each([
    ['6.1', -128, 'buddy'],
    ['6.1', -512, 'table'],
    ['6.12', -268435456, 'buddy'],
    ['6.12', -234881024, 'table'],
    ['6.12', -201326592, 'hugetlb'],
  ] as const)('%s mapcount=%d is a %s page', (profile, v, type) => {
    expect(decodeTraceMapcount(loadProfile(profile), v).pageType.type).toBe(type);
  });

  // page-flags.h keeps _mapcount below -1 apart from the types (6.1:944 PAGE_MAPCOUNT_RESERVE,
  // 6.12:951 PGTY_mapcount_underflow): such a value is an underflow, not "mapped -4 times"
  it.each([
    ['6.1', -3, -4, /within PAGE_MAPCOUNT_RESERVE/],
    ['6.12', -5, -5, /top byte 0xff: 0xff = PGTY_mapcount_underflow/],
  ] as const)('%s mapcount=%d is an underflow of _mapcount %d', (profile, v, raw, why) => {
    const d = decodeTraceMapcount(loadProfile(profile), v);
    expect(d.pageType).toMatchObject({ kind: 'mapcount', mapcount: raw + 1 });
    expect(d.text).toBe(`mapcount underflow: _mapcount ${raw}, unmapped more often than mapped (a bug)`);
    expect(d.pageType.text).toMatch(why);
  });

  it('page_type words: UINT_MAX, owner bits, positive mapcounts', () => {
    const p = loadProfile('6.12');
    expect(decodePageType(p, -1).kind).toBe('none');
    expect(decodePageType(p, 0xf6000010)).toMatchObject({ type: 'zsmalloc', ownerBits: 0x10 });
    expect(decodePageType(p, 3)).toMatchObject({ kind: 'mapcount', mapcount: 4 });
    expect(decodePageType(loadProfile('6.1'), 0xfffffbff).type).toBe('guard');
    // 6.12 page_has_type() is page_mapcount_is_type(page_type): 0x80000000 - 1 is no type
    expect(decodePageType(p, 0x80000000)).toMatchObject({
      kind: 'mapcount',
      outOfRange: 'overflow',
      text: 'not a page type: _mapcount -2147483648, a mapcount overflow (top byte 0x80: 0x80-0xef are kept for an overflow)',
    });
    expect(decodePageType(loadProfile('mainline'), 0x80000000).text).toBe(
      'type id 0x80 has no PGTY_ name in mainline (0x80-0xef: kept for a mapcount overflow)',
    );
  });
});

describe('decode CLI', () => {
  it('decode flags --json with the trace config', async () => {
    const r = await runCli(['decode', 'flags', '0x17ffffc0020828', '--json']);
    expect(r.code).toBe(0);
    const d = JSON.parse(r.stdout) as { pGp: string; showPageFlags: string };
    expect(d.pGp).toBe('0x17ffffc0020828(uptodate|lru|owner_2|swapbacked|node=0|zone=2|lastcpupid=0x1fffff)');
    expect(d.showPageFlags).toBe('uptodate|lru|owner_2|swapbacked');
  });

  it('bad input is quoted, exit 2', async () => {
    const r = await runCli(['decode', 'flags', '0xnothex']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('"0xnothex"');
    const m = await runCli(['decode', 'mapcount', '12x', '--profile', '6.1']);
    expect(m.code).toBe(2);
    expect(m.stderr).toContain('"12x"');
  });

  it('decode mapcount and page-type text', async () => {
    const r = await runCli(['decode', 'mapcount', '-184549376']);
    expect(r.stdout).toContain('PGTY_slab (0xf5) << 24');
    const t = await runCli(['decode', 'page-type', 'ffffff7f', '--profile', '6.1']);
    expect(t.stdout).toContain('PG_buddy (0x80)');
  });
});

describe('decode flags --anon / --file settle the owner_2 alias', () => {
  it('6.12 bit 11 alone: both readings; --anon PG_anon_exclusive; --file PG_mappedtodisk', () => {
    const p = loadProfile('6.12');
    const word = 1n << 11n;
    expect(decodeFlags(p, word).bits[0].meaning).toBeUndefined();
    expect(decodeFlags(p, word, { kind: 'anon' }).bits[0].meaning).toBe('anon_exclusive');
    expect(decodeFlags(p, word, { kind: 'file' }).bits[0].meaning).toBe('mappedtodisk');
  });
});
