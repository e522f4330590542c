/**
 * dump_page() against dump_page blocks from public reports (../shared/samples), with the model
 * page put into the state the report shows. Both reports come from kernels with 5 zones
 * (DMA, DMA32, Normal, Movable, Device -> ZONES_SHIFT 3), NODES_SHIFT 6 and NUMA balancing;
 * their lastcpupid widths (11 and 12 bits) give NR_CPUS 8 and 16.
 */
import { describe, expect, it } from 'vitest';
import { prep_compound_page } from '../../src/kernel/folio.js';
import { Kernel } from '../../src/kernel/kernel.js';
import { folio_get } from '../../src/kernel/mm_ref.js';
import { pageflags } from '../../src/kernel/page_flags.js';
import { setFlagsField } from '../../src/kernel/page_flags_layout.js';
import type { ProfileName } from '../../src/kernel/profiles/types.js';
import { VmBug } from '../../src/kernel/vm_bug.js';
import { readShared, reportProfile } from '../helpers/shared.js';

function reportKernel(name: ProfileName, nrCpus: number): Kernel {
  return new Kernel({ profile: reportProfile(name, nrCpus), nrPages: 0x130000 });
}

function placeInZone(k: Kernel, pfn: number, zone: number, cpupid: number): void {
  let f = k.mem.flags(pfn);
  f = setFlagsField(k.profile.layout, f, 'node', 0);
  f = setFlagsField(k.profile.layout, f, 'zone', zone);
  f = setFlagsField(k.profile.layout, f, 'lastcpupid', cpupid);
  k.mem.setFlags(pfn, f);
}

describe('dump_page', () => {
  it('6.12 layout: a slab folio of order 3 (samples/dump-page-6.12-slab.txt)', () => {
    const sample = readShared('samples', 'dump-page-6.12-slab.txt').trimEnd().split('\n');
    const k = reportKernel('6.12', 8);
    const pfn = 0x11818;
    for (let i = 0; i < 8; i++) placeInZone(k, pfn + i, 1, 0x7ff);
    prep_compound_page(k, pfn, 3);
    k.mem.refcount[pfn] = 1;
    pageflags(k).__folio_set_slab(pfn);
    const ours = k.dumpPage(pfn, 'kasan: bad access detected').split('\n');
    // text lines: identical
    for (const i of [0, 1, 2, 3]) expect(ours[i]).toBe(sample[i]);
    expect(ours.at(-1)).toBe(sample.at(-1));
    // raw words the model owns: flags and the _mapcount/_refcount word of page 0, all of page 1
    const words = (l: string) => l.split(' ').slice(1);
    expect(words(ours[4])[0]).toBe(words(sample[4])[0]);
    expect(words(ours[5])[2]).toBe(words(sample[5])[2]);
    expect(ours.slice(10, 12)).toEqual(sample.slice(10, 12));
  });

  it('6.1 layout: folio_get() on a freed page is VM_BUG_ON_FOLIO (samples/dump-page-5.18-refcount-underflow.txt)', () => {
    const sample = readShared('samples', 'dump-page-5.18-refcount-underflow.txt').trimEnd().split('\n');
    const k = reportKernel('6.1', 16);
    const pfn = 0x128e71;
    placeInZone(k, pfn, 2, 0xfff);
    k.mem.index[pfn] = 1;
    let bug: unknown;
    try {
      folio_get(k, pfn);
    } catch (e) {
      bug = e;
    }
    expect(bug).toBeInstanceOf(VmBug);
    const lines = (bug as VmBug).dump.split('\n');
    // the report was printed with no_hash_pointers: compare after the page pointer
    expect(lines[0].replace(/^page:\S+/, '')).toBe(sample[0].replace(/^page:\S+/, ''));
    expect(lines[1]).toBe(sample[1]);
    expect(lines.at(-1)).toBe(sample.at(-1));
    expect(k.mem.refcount[pfn]).toBe(0);
  });
});
