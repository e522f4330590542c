import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { ProfileName } from '../../src/kernel/profiles/types.js';
import { decodeKpageflags } from '../../src/explain/kpageflags.js';
import { KPF } from '../../src/explain/kpageflags-table.js';
import { parsePfnRange, readU64File } from '../../src/explain/kpage-reader.js';
import { scanKpageflags } from '../../src/explain/kpageflags-scan.js';
import {
  expandOverloadedFlags,
  formatSummary,
  FlagsSummary,
  pageFlagLongname,
  pageFlagName,
} from '../../src/explain/page-types-format.js';
import { runDecodeKpageflags } from '../../src/cli/commands/decode-kpageflags.js';
import { SAMPLES, TRACES } from '../helpers/shared.js';

const has = (v: bigint, b: number): boolean => ((v >> BigInt(b)) & 1n) === 1n;
const names = (v: bigint, p: ProfileName): string[] => decodeKpageflags(v, p).bits.map((b) => b.name);

interface PagemapRow {
  region: string;
  pid: number;
  pfn: number;
  present: boolean;
  kpagecount: number;
  kpageflags: bigint;
}

/** pagemap-pfns.txt of one checkpoint (columns: see traces/README.md). */
function pagemap(version: string, checkpoint: string): PagemapRow[] {
  const text = readFileSync(
    `${TRACES}/${version}/fork_cow/checkpoint-${checkpoint}/pagemap-pfns.txt`,
    'utf8',
  );
  return text
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const c = l.split(' ');
      return {
        region: c[0],
        pid: Number(c[1]),
        pfn: parseInt(c[3], 16),
        present: c[4] === '1',
        kpagecount: Number(c[10]),
        kpageflags: BigInt(c[11]),
      };
    });
}

describe('KPF tables differ per version', () => {
  it('bit 34 is MAPPEDTODISK in 6.1 and OWNER_2 in 6.12 (include/linux/kernel-page-flags.h)', () => {
    expect(names(1n << 34n, '6.1')).toEqual(['KPF_MAPPEDTODISK']);
    expect(names(1n << 34n, '6.12')).toEqual(['KPF_OWNER_2']);
    expect(names(1n << 34n, 'mainline')).toEqual(['KPF_OWNER_2']);
  });
  it('bit 39 UNCACHED exists only in 6.1; bit 42 ARCH_3 only in 6.12', () => {
    expect(names(1n << 39n, '6.1')).toEqual(['KPF_UNCACHED']);
    expect(decodeKpageflags(1n << 39n, '6.12').unknownBits).toEqual([39]);
    expect(names(1n << 42n, '6.12')).toEqual(['KPF_ARCH_3']);
    expect(decodeKpageflags(1n << 42n, '6.1').unknownBits).toEqual([42]);
  });
  it('page-types symbolic strings: 45 named bits in 6.1 (uncached, slob_free), 43 in 6.12', () => {
    expect(pageFlagName(0n, '6.1')).toHaveLength(45);
    expect(pageFlagName(0n, '6.12')).toHaveLength(43);
  });
  it('tool-only pseudo bits are flagged as such', () => {
    const d = decodeKpageflags(1n << 47n, '6.12');
    expect(d.bits).toEqual([
      { bit: 47, name: 'anon_exclusive', long: 'anon_exclusive', source: 'page-types' },
    ]);
    expect(d.notes.join()).toMatch(/pseudo bits/);
  });
});

describe('page-types output format', () => {
  it('reproduces the summary rows of samples/page-types-leak-case.txt (6.x page-types, 43 columns)', () => {
    const rows = readFileSync(`${SAMPLES}/page-types-leak-case.txt`, 'utf8')
      .split('\n')
      .map((l) => /^\s*(0x[0-9a-f]{16})\s+\d+\s+\d+\s+(\S+)\s+(\S+)\s*$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null);
    expect(rows.length).toBeGreaterThan(0);
    for (const [, flags, sym, long] of rows) {
      if (sym.length !== 43) continue; // older page-types rows
      expect(pageFlagName(BigInt(flags), '6.12')).toBe(sym);
      expect(pageFlagLongname(BigInt(flags), '6.12')).toBe(long);
    }
  });
  it('prints show_summary() columns with page-types tabs and widths', () => {
    const s = new FlagsSummary();
    for (let i = 0; i < 300; i++) s.add(0x400n);
    s.add(0n);
    const out = formatSummary(s, '6.12').split('\n');
    expect(out[0]).toBe('             flags\tpage-count       MB  symbolic-flags\t\t\tlong-symbolic-flags');
    // slot 0 (flags 0) is printed first, then slot 0x400
    expect(out[1]).toBe(`0x0000000000000000\t         1        0  ${'_'.repeat(43)}\t`);
    expect(out[2]).toBe(`0x0000000000000400\t       300        1  __________B${'_'.repeat(32)}\tbuddy`);
    expect(out[3]).toBe('             total\t       301        1');
  });
  it('orders rows by hash slot (flags & 0x1fff) like page-types, not by value', () => {
    const s = new FlagsSummary();
    s.add(0x2000n + 5n); // slot 5
    s.add(3n); // slot 3
    expect(s.rows().map(([f]) => f)).toEqual([3n, 0x2005n]);
  });
});

for (const version of ['6.1', '6.12'] as const) {
  describe(`${version} fork_cow checkpoint "cow" (parent wrote 256 pages, fork, child wrote the even ones)`, () => {
    const rows = pagemap(version, 'cow');
    const anon = rows.filter((r) => r.region.endsWith('_anon'));

    it('every anon page decodes to uptodate|mmap|anon|swapbacked, never buddy/slab', () => {
      expect(anon).toHaveLength(512);
      for (const r of anon) {
        const n = names(r.kpageflags, version);
        expect(n).toEqual(expect.arrayContaining(['KPF_UPTODATE', 'KPF_MMAP', 'KPF_ANON', 'KPF_SWAPBACKED']));
        expect(n).not.toContain('KPF_BUDDY');
        expect(n).not.toContain('KPF_SLAB');
      }
    });

    it('KPF_KSM: set on every anon page by the 6.12 mask bug, never on 6.1 (no MADV_MERGEABLE)', () => {
      for (const r of anon) expect(has(r.kpageflags, KPF.KSM)).toBe(version === '6.12');
    });

    it("the child's 128 COW copies are anon-exclusive; the parent's pages lost exclusivity at fork", () => {
      const childExclusive = anon.filter(
        (r) => r.region === 'child_anon' && expandOverloadedFlags(r.kpageflags, version) & (1n << 47n),
      );
      expect(childExclusive).toHaveLength(128);
      expect(childExclusive.every((r) => r.kpagecount === 1)).toBe(true);
      const parent = anon.filter((r) => r.region === 'parent_anon');
      expect(parent.some((r) => has(r.kpageflags, 34))).toBe(false);
    });

    it('kpagecount is a mapcount: the 128 untouched pages are mapped by both processes', () => {
      const parentShared = anon.filter((r) => r.region === 'parent_anon' && r.kpagecount === 2);
      const childPfns = new Set(anon.filter((r) => r.region === 'child_anon').map((r) => r.pfn));
      expect(parentShared).toHaveLength(128);
      expect(parentShared.every((r) => childPfns.has(r.pfn))).toBe(true);
    });

    it('read-only pages map the shared zero page: ZERO_PAGE, not MMAP, kpagecount 0', () => {
      const zero = rows.filter((r) => r.region === 'parent_zero');
      expect(zero).toHaveLength(16);
      for (const r of zero) {
        expect(has(r.kpageflags, KPF.ZERO_PAGE)).toBe(true);
        expect(has(r.kpageflags, KPF.MMAP)).toBe(false);
        expect(r.kpagecount).toBe(0);
      }
    });
  });

  describe(`${version} fork_cow end-of-trace /proc/kpageflags + kpagecount`, () => {
    const dir = `${TRACES}/${version}/fork_cow`;
    it("after munmap+exit the workload's pages are unmapped, mapcount 0, and (on pcp lists) not BUDDY", async () => {
      const pfns = pagemap(version, 'after_child_exit').map((r) => r.pfn);
      const seen = new Map<number, [bigint, bigint | undefined]>();
      const lo = Math.min(...pfns);
      const hi = Math.max(...pfns);
      const wanted = new Set(pfns);
      await scanKpageflags(`${dir}/kpageflags.bin.gz`, {
        profile: version,
        range: { first: lo, last: hi },
        kpagecount: `${dir}/kpagecount.bin.gz`,
        onPage: (pfn, k, c) => wanted.has(pfn) && seen.set(pfn, [k, c]),
      });
      expect(seen.size).toBe(256);
      for (const [k, c] of seen.values()) {
        expect(has(k, KPF.MMAP) || has(k, KPF.ANON)).toBe(false);
        expect(c).toBe(0n);
      }
    });

    it('summary over the whole file counts every pfn once; BUDDY pages are never mapped', async () => {
      let buddy = 0;
      let mappedBuddy = 0;
      const r = await scanKpageflags(`${dir}/kpageflags.bin.gz`, {
        profile: version,
        kpagecount: `${dir}/kpagecount.bin.gz`,
        onPage: (_pfn, k, c) => {
          if (!has(k, KPF.BUDDY)) return;
          buddy++;
          if (has(k, KPF.MMAP) || c !== 0n) mappedBuddy++;
        },
      });
      expect(buddy).toBeGreaterThan(0);
      expect(mappedBuddy).toBe(0);
      const bytes = gunzipSync(readFileSync(`${dir}/kpageflags.bin.gz`)).length;
      expect(r.pages).toBe(bytes / 8);
      expect(r.summary.total).toBe(bytes / 8);
      expect(r.summary.rows().reduce((a, [, n]) => a + n, 0)).toBe(bytes / 8);
    });
  });
}

describe('kpage reader', () => {
  const gz = `${TRACES}/6.12/fork_cow/kpageflags.bin.gz`;
  const tmp = mkdtempSync(join(tmpdir(), 'kpf-'));
  const plain = join(tmp, 'kpageflags.bin');
  writeFileSync(plain, gunzipSync(readFileSync(gz)));

  const collect = async (path: string, first: number, last: number): Promise<bigint[]> => {
    const out: bigint[] = [];
    for await (const b of readU64File(path, { first, last })) out.push(...b.values);
    return out;
  };

  it('reads the same pfn range from .gz and plain files', async () => {
    const a = await collect(gz, 0x1000, 0x10ff);
    expect(a).toHaveLength(0x100);
    expect(await collect(plain, 0x1000, 0x10ff)).toEqual(a);
  });
  it('rejects a file that is not whole u64s', async () => {
    const bad = join(tmp, 'bad.bin');
    writeFileSync(bad, Buffer.alloc(12));
    await expect(collect(bad, 0, 10)).rejects.toThrow(/trailing bytes/);
  });
  it('names the file and says what is wrong with a missing file or damaged gzip data', async () => {
    const missing = join(tmp, 'none.bin');
    await expect(collect(missing, 0, 10)).rejects.toThrow(`${missing}: no such file`);
    const cut = join(tmp, 'cut.bin.gz');
    writeFileSync(cut, readFileSync(gz).subarray(0, 4096));
    await expect(collect(cut, 0, 1 << 20)).rejects.toThrow(
      `${cut}: gzip data is corrupt (unexpected end of file)`,
    );
    const notGzip = join(tmp, 'text.gz');
    writeFileSync(notGzip, 'garbage\n');
    await expect(collect(notGzip, 0, 10)).rejects.toThrow(
      `${notGzip}: gzip data is corrupt (incorrect header check)`,
    );
  });
  it('parses --pfn forms', () => {
    expect(parsePfnRange('0x10-0x20')).toEqual({ first: 16, last: 32 });
    expect(parsePfnRange('100')).toEqual({ first: 100, last: 100 });
    expect(parsePfnRange('100-')).toEqual({ first: 100 });
    expect(() => parsePfnRange('x')).toThrow(/--pfn/);
  });
});

describe('decode kpageflags command', () => {
  it('decodes a single value with JSON output', async () => {
    const out = JSON.parse(await runDecodeKpageflags('0x400205828', { profile: '6.12', json: true })) as {
      bits: Array<{ name: string }>;
      notes: string[];
    };
    expect(out.bits.map((b) => b.name)).toContain('KPF_OWNER_2');
    expect(out.notes.join('\n')).toMatch(/PG_anon_exclusive/);
  });
  it('refuses a value wider than the u64 kpageflags word', async () => {
    await expect(runDecodeKpageflags('0x1ffffffffffffffff', { profile: '6.12' })).rejects.toThrow(
      '0x1ffffffffffffffff: wider than a kpageflags word (u64)',
    );
    expect(await runDecodeKpageflags('0xffffffffffffffff', { profile: '6.12' })).toMatch(
      /^0xffffffffffffffff /,
    );
  });
  it('lists a pfn range with kpagecount, then the summary', async () => {
    const dir = `${TRACES}/6.1/fork_cow`;
    const text = await runDecodeKpageflags(`${dir}/kpageflags.bin.gz`, {
      profile: '6.1',
      pfn: '0x0-0x3',
      kpagecount: `${dir}/kpagecount.bin.gz`,
    });
    const lines = text.split('\n');
    expect(lines[0]).toBe('pfn\tkpagecount\tkpageflags\tsymbolic-flags\tlong-symbolic-flags');
    expect(lines.slice(1, 5).map((l) => l.split('\t')[0])).toEqual(['0', '1', '2', '3']);
    expect(text).toMatch(/ {13}total\t {9}4 {8}0\n/);
  });
});
