/**
 * Fidelity of the built-in file_mmap scenario against the real 6.1 and 6.12 file_mmap traces, page
 * by page: every page of the four checkpoint regions (tmpfs pages written by write(), mapped shared
 * and private, written (the private half COWed), unmapped, mapped again, truncated at unlink;
 * /dev/vda pages 128..255 read ahead by the pread(), fault-around mapped, truncated at the last
 * close), and every /dev/vda page readahead inserted before checkpoint "mapped", which no region
 * maps: 0..127 (the pread's synchronous window, whose first page the read waits for), 128..255
 * and 256..383 (the asynchronous windows that the pread and the first fault start at PG_readahead
 * marks). Each lifecycle must be the real one event for event — flags, counts and mapcounts included.
 */
import { describe, expect, it } from 'vitest';
import { BUILTINS } from '../../src/scenario/builtins.js';
import {
  compareLifecycles,
  pagemapRegions,
  realLifecycles,
  realReadaheadLifecycles,
  simLifecycles,
  simReadaheadLifecycles,
} from '../../src/scenario/fidelity.js';
import { parseScenario } from '../../src/scenario/format.js';
import { runScenario } from '../../src/scenario/runner.js';
import { readShared, traceProfile } from '../helpers/shared.js';

describe.each(['6.1', '6.12'] as const)('file_mmap fidelity, %s', (version) => {
  const run = runScenario(parseScenario(BUILTINS.file_mmap, 'builtin:file_mmap'), traceProfile(version));
  const trace = readShared('traces', version, 'file_mmap', 'trace.txt.gz').split('\n');
  const pagemap = readShared('traces', version, 'file_mmap', 'pagemap-pfns.txt');

  it.each(['mapped', 'remapped'] as const)('checkpoint %s: every region page equals the real one', (tag) => {
    const regions = pagemapRegions(pagemap, tag);
    const real = realLifecycles(trace, tag, regions);
    const sim = simLifecycles(
      run,
      tag,
      [...regions.keys()].map((r) => `fm:${r}`),
    );
    expect([...regions.keys()]).toEqual(
      tag === 'mapped' ? ['tmpfs_shared', 'tmpfs_private', 'bdev_shared_ro'] : ['tmpfs_shared_remap'],
    );
    for (const [region, pages] of real) {
      expect(pages).toHaveLength(128);
      // not vacuous: the page-cache lifecycles run from the write()/readahead allocation to the
      // truncate's free (the private half's COW copies are short anon lives: set, lru, zap)
      const cache = pages.filter((l) => l.at(-1)?.startsWith('mod_and_test -1 1 0 ') && l.length >= 10);
      expect(cache.length).toBe(region === 'tmpfs_private' ? 64 : 128);
    }
    const pairs = [...regions.keys()].map((r): [string, string] => [r, `fm:${r}`]);
    expect(compareLifecycles(real, sim, pairs)).toEqual([]);
  });

  it('every /dev/vda page read ahead before checkpoint mapped equals the real one', () => {
    const real = realReadaheadLifecycles(trace, 'file_mmap: pread', 'mapped');
    const sim = simReadaheadLifecycles(run, 'mapped');
    expect(real).toHaveLength(3 * 128);
    // the pread waits for its first page's read (PG_waiters on the put), the marks are at 64, 128, 256
    expect(real[0].some((e) => e.includes('|waiters|'))).toBe(true);
    const marked = real.flatMap((l, i) => (l.some((e) => / \S*reclaim/.test(e)) ? [i] : []));
    expect(marked).toEqual([64, 128, 256]);
    expect(compareLifecycles(new Map([['ra', real]]), new Map([['ra', sim]]), [['ra', 'ra']])).toEqual([]);
  });
});
