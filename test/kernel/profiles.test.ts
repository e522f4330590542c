/**
 * Profile resolution against the kernels' own data: the Debian amd64 configs the default
 * profiles stand for, the flags-word layout per config (reference §3.4, and the traces' own
 * kernels), the mem_map budget.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MemMap } from '../../src/kernel/mem_map.js';
import { KernelConfig } from '../../src/kernel/profiles/config.js';
import { DEBIAN_AMD64_CONFIG } from '../../src/kernel/profiles/default_configs.js';
import { loadProfile, PROFILE_NAMES } from '../../src/kernel/profiles/index.js';
import { traceProfile } from '../helpers/shared.js';

const fieldMap = (name: '6.1' | '6.12' | 'mainline') =>
  Object.fromEntries(loadProfile(name).layout.fields.map((f) => [f.name, [f.shift, f.shift + f.width - 1]]));

describe('default profiles = Debian amd64 configs', () => {
  for (const v of ['6.1', '6.12'] as const) {
    const file = `/usr/src/linux-config-${v}/config.amd64_none_amd64.xz`;
    it.skipIf(!existsSync(file) && !process.env.CI)(
      `${v}: every option we rely on has Debian's value`,
      () => {
        const real = KernelConfig.parse(execFileSync('xz', ['-dc', file], { encoding: 'utf8' }), file);
        for (const [opt, val] of Object.entries(DEBIAN_AMD64_CONFIG[v])) {
          expect(real.value(opt), opt).toBe(val);
        }
        // and the options the headers test that we leave off are off in Debian's config too
        for (const opt of ['CONFIG_HIGHMEM', 'CONFIG_KASAN_HW_TAGS', 'CONFIG_KASAN_SW_TAGS', 'CONFIG_CMA']) {
          expect(real.isEnabled(opt), opt).toBe(false);
        }
        expect(real.isEnabled('CONFIG_PAGE_IDLE_FLAG')).toBe(v === '6.12');
      },
    );
  }
});

describe('flags word layout (include/linux/page-flags-layout.h)', () => {
  it('Debian 6.1 and 6.12: node 54-63, zone 51-53, lastcpupid 30-50, LRU gen 27-29, refs 25-26', () => {
    const expected = {
      node: [54, 63],
      zone: [51, 53],
      lastcpupid: [30, 50],
      lru_gen: [27, 29],
      lru_refs: [25, 26],
    };
    expect(fieldMap('6.1')).toEqual(expected);
    expect(fieldMap('6.12')).toEqual(expected);
    expect(loadProfile('6.1').layout.zones).toEqual(['DMA', 'DMA32', 'Normal', 'Movable', 'Device']);
  });

  it("the traces' QEMU kernels: 3 zones (ZONES_SHIFT 2), NODES_SHIFT 6, no cpupid, no MGLRU", () => {
    for (const v of ['6.1', '6.12'] as const) {
      const p = traceProfile(v);
      expect(Object.fromEntries(p.layout.fields.map((f) => [f.name, [f.shift, f.width]]))).toEqual({
        node: [58, 6],
        zone: [56, 2],
      });
      expect(p.layout.zones).toEqual(['DMA32', 'Normal', 'Movable']);
    }
    expect(traceProfile('6.1').nrPageflags).toBe(23);
    expect(traceProfile('6.12').nrPageflags).toBe(20);
  });

  it('the %pGp prefix of Debian dumps decodes: 0x17ffffc0000000 is node 0, zone Normal, lastcpupid unset', () => {
    const p = loadProfile('6.12');
    const w = 0x17ffffc0000000n;
    const get = (n: string) => {
      const f = p.layout.fields.find((x) => x.name === n)!;
      return Number((w >> BigInt(f.shift)) & ((1n << BigInt(f.width)) - 1n));
    };
    expect([get('node'), p.layout.zones[get('zone')], get('lastcpupid')]).toEqual([0, 'Normal', 0x1fffff]);
  });
});

describe('mem_map budget', () => {
  it('at most 64 bytes per page (sizeof(struct page)); 4 Mi pages fit in 256 MB', () => {
    const m = new MemMap(1 << 16);
    expect(m.byteLength() / m.nrPages).toBeLessThanOrEqual(64);
    expect((m.byteLength() / m.nrPages) * 4 * 1024 * 1024).toBeLessThan(256 * 1024 * 1024);
  });

  it('every profile resolves with its default config', () => {
    for (const n of PROFILE_NAMES) expect(loadProfile(n).nrPageflags).toBeGreaterThan(20);
  });
});
