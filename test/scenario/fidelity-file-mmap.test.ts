/**
 * Fidelity of the built-in file_mmap scenario against the real 6.1 and 6.12 file_mmap traces: the
 * lifecycle of every page of the four checkpoint regions (tmpfs pages written by write(), mapped
 * shared and private, written (the private half COWed), unmapped, mapped again, truncated at
 * unlink; /dev/vda pages 128..255 read ahead, fault-around mapped, truncated at the last close).
 *
 * Pages whose lifecycle differs fall in two reviewed classes, and no other:
 * - `order`: the same events, in another order or with other flags/counts at some event. Cause:
 *   per-CPU batch timing. When the real lru_add batch (31 on 6.12, 15 on 6.1) and the activate
 *   batch (zap's folio_mark_accessed -> folio_activate) drain depends on every other folio the
 *   process queued (exec, libc, the pread buffer's anon pages), which the scenario does not
 *   replay; so a drain lands before or after a given page's own event.
 * - `lookups±n` (block device only): n more (+) or fewer (-) fault-around visits of an already
 *   mapped page (folio_try_get +1, PTE present, folio_put -1) than the real kernel made. Cause: the
 *   model reads ahead 32 pages from the faulting index, while filemap_fault's
 *   do_sync_mmap_readahead/do_async_mmap_readahead place the window around the fault and read
 *   the rest asynchronously, so which pages of the overlapping first fault-around windows are cached
 *   (and so visited twice) differs. The tmpfs pages, always cached, have none: the overlapping
 *   windows (the real VMAs start 10/11 PTEs into a 16-PTE block, reproduced by the scenario's pad
 *   mapping) give the same extra visits as the real kernel.
 */
import { describe, expect, it } from 'vitest';
import { BUILTINS } from '../../src/scenario/builtins.js';
import { type EventKey, pagemapRegions, realLifecycles, simLifecycles } from '../../src/scenario/fidelity.js';
import { parseScenario } from '../../src/scenario/format.js';
import { runScenario } from '../../src/scenario/runner.js';
import { readShared, traceProfile } from '../helpers/shared.js';

/** events without their flags/count/mapcount: "mod_unless 1" */
const kinds = (l: readonly EventKey[]) => l.map((e) => e.split(' ').slice(0, 2).join(' ')).sort();

/** what `a` has beyond `b`, as a multiset */
function beyond(a: readonly string[], b: readonly string[]): string[] {
  const left = [...a];
  for (const e of b) {
    const j = left.indexOf(e);
    if (j >= 0) left.splice(j, 1);
  }
  return left;
}

/** n (mod_unless +1, mod_and_test -1) pairs, or -1 */
function lookupPairs(extra: readonly string[]): number {
  const n = extra.filter((e) => e === 'mod_unless 1').length;
  const puts = extra.filter((e) => e === 'mod_and_test -1').length;
  return extra.length === 2 * n && puts === n ? n : -1;
}

function classify(real: readonly EventKey[], sim: readonly EventKey[]): string {
  if (real.join('\n') === sim.join('\n')) return 'equal';
  const more = lookupPairs(beyond(kinds(real), kinds(sim)));
  const fewer = lookupPairs(beyond(kinds(sim), kinds(real)));
  if (more < 0 || fewer < 0 || (more && fewer)) return 'other';
  return more ? `lookups+${more}` : fewer ? `lookups-${fewer}` : 'order';
}

// per version, checkpoint and region: pages in each class (128 each)
const EXPECTED = {
  '6.1': {
    mapped: {
      tmpfs_shared: { equal: 108, order: 20 },
      tmpfs_private: { equal: 120, order: 8 },
      bdev_shared_ro: { equal: 68, order: 14, 'lookups+1': 15, 'lookups+2': 1, 'lookups-1': 30 },
    },
    remapped: { tmpfs_shared_remap: { equal: 108, order: 20 } },
  },
  '6.12': {
    mapped: {
      tmpfs_shared: { equal: 67, order: 61 },
      tmpfs_private: { equal: 85, order: 43 },
      bdev_shared_ro: { equal: 48, order: 31, 'lookups+1': 15, 'lookups+2': 1, 'lookups-1': 33 },
    },
    remapped: { tmpfs_shared_remap: { equal: 67, order: 61 } },
  },
} as const;

describe.each(['6.1', '6.12'] as const)('file_mmap fidelity, %s', (version) => {
  const run = runScenario(parseScenario(BUILTINS.file_mmap, 'builtin:file_mmap'), traceProfile(version));
  const trace = readShared('traces', version, 'file_mmap', 'trace.txt.gz').split('\n');
  const pagemap = readShared('traces', version, 'file_mmap', 'pagemap-pfns.txt');

  it.each(['mapped', 'remapped'] as const)(
    'checkpoint %s: every page equal, reordered, or (block device) ± fault-around lookups',
    (tag) => {
      const regions = pagemapRegions(pagemap, tag);
      const real = realLifecycles(trace, tag, regions);
      const sim = simLifecycles(
        run,
        tag,
        [...regions.keys()].map((r) => `fm:${r}`),
      );
      const got: Record<string, Record<string, number>> = {};
      for (const region of regions.keys()) {
        const r = real.get(region)!;
        const s = sim.get(`fm:${region}`)!;
        expect(r).toHaveLength(128);
        const counts: Record<string, number> = {};
        r.forEach((l, i) => {
          const c = classify(l, s[i]);
          if (c.startsWith('lookups')) expect(region).toBe('bdev_shared_ro');
          counts[c] = (counts[c] ?? 0) + 1;
        });
        got[region] = counts;
        // not vacuous: the page-cache lifecycles run from the write()/readahead allocation to the
        // truncate's free (the private half's COW copies are short anon lives: set, lru, zap)
        const cache = r.filter((l) => l.at(-1)?.startsWith('mod_and_test -1 1 0 ') && l.length >= 10);
        expect(cache.length).toBe(region === 'tmpfs_private' ? 64 : 128);
      }
      expect(got).toEqual(EXPECTED[version][tag]);
    },
  );
});
