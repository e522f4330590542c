import { describe, expect, it } from 'vitest';
import { holderContext } from '../../src/analysis/findings.js';
import { freezeFailures, holdersAt } from '../../src/analysis/holders.js';
import { OWNER_RULES, OwnerClassifier, type Owner } from '../../src/analysis/owners.js';
import { trace, type Ev } from './handmade.js';

/** One stack per owner class (innermost first), as real 6.1/6.12 traces show them. */
const GET: Record<string, [Owner, string[]]> = {
  pageCache: ['page-cache', ['__filemap_add_folio', 'filemap_add_folio', 'page_cache_ra_unbounded']],
  mapping: ['mapping', ['copy_page_range', 'dup_mmap', 'copy_process']],
  lru: ['lru-batch', ['__folio_batch_add_and_move', 'folio_putback_lru', 'putback_movable_pages']],
  isolation: ['isolation', ['folio_isolate_lru', 'madvise_cold_or_pageout_pte_range']],
  gup: ['gup', ['try_grab_folio', 'follow_page_pte', '__get_user_pages']],
  vmsplice: [
    'pipe',
    ['try_get_folio', 'gup_fast_fallback', 'iov_iter_get_pages2', 'iter_to_pipe', 'vmsplice_to_pipe'],
  ],
  splice: ['pipe', ['splice_folio_into_pipe', 'filemap_splice_read', 'splice_file_to_pipe']],
  swap: ['swap-cache', ['add_to_swap_cache', 'add_to_swap', 'shrink_folio_list']],
  private: ['private', ['folio_attach_private', 'create_empty_buffers']],
  lookup: ['lookup', ['folio_try_get', 'filemap_get_entry', '__filemap_get_folio', 'filemap_read']],
  faultLookup: ['mapping', ['filemap_get_entry', '__filemap_get_folio', 'filemap_fault', '__do_fault']],
  remap: ['mapping', ['remove_migration_pte', 'rmap_walk_file', 'remove_migration_ptes']],
  remapPmd: ['mapping', ['remove_migration_pmd', 'remove_migration_pte', 'rmap_walk_anon']],
  splitList: ['isolation', ['__split_huge_page_tail', '__split_huge_page', 'split_folio_to_list']],
};
const PUT: Record<string, [Owner, string[]]> = {
  lruDrain: ['lru-batch', ['folios_put_refs', 'folio_batch_move_lru', 'lru_add_drain_cpu']],
  putback: ['isolation', ['page_ref_dec_and_test', 'folio_putback_lru', 'putback_movable_pages']],
  zap: ['mapping', ['folios_put_refs', 'free_pages_and_swap_cache', 'tlb_flush_mmu']],
  pmdMigration: ['mapping', ['folio_put', 'set_pmd_migration_entry', 'try_to_migrate_one', 'rmap_walk_anon']],
  pipe: ['pipe', ['put_page', 'page_cache_pipe_buf_release', 'free_pipe_info', 'pipe_release']],
  unpin: ['gup', ['gup_put_folio', 'unpin_user_pages']],
  swap: ['swap-cache', ['delete_from_swap_cache', '__remove_mapping']],
  private: ['private', ['folio_detach_private', 'try_to_free_buffers']],
  pageCache: ['page-cache', ['folio_put_refs', 'filemap_free_folio', 'delete_from_page_cache_batch']],
  lookup: ['lookup', ['folio_put', 'filemap_read', 'blkdev_read_iter']],
};

describe('owners: the rules table', () => {
  const c = new OwnerClassifier('6.12');
  it.each(Object.entries(GET))('get %s', (_n, [owner, frames]) => {
    expect(c.classify(frames, 'get').owner).toBe(owner);
  });
  it.each(Object.entries(PUT))('put %s', (_n, [owner, frames]) => {
    expect(c.classify(frames, 'put').owner).toBe(owner);
  });
  it('version-specific rules apply only to their profile (6.1 hands the fault-around ref to the PTE)', () => {
    const frames = ['folio_put', 'filemap_map_pages', 'do_fault'];
    expect(new OwnerClassifier('6.1').classify(frames, 'put').owner).toBe('mapping');
    expect(new OwnerClassifier('6.12').classify(frames, 'put').owner).toBe('lookup');
  });
  it('every rule cites where the kernel does it', () => {
    for (const r of OWNER_RULES) expect(r.cite, r.fn).toMatch(/\S+\.[ch]|\(\)/);
  });
  it('strips offsets and compiler clones from frames', () => {
    expect(
      c.classify(['move_pages_and_store_status.isra.0', 'folio_putback_lru+0x2f/0x80'], 'put').owner,
    ).toBe('isolation');
  });
});

const get = (k: keyof typeof GET, count: number, pid = 10): Ev => ({
  ev: 'mod',
  val: 1,
  count,
  pid,
  stack: GET[k][1],
});
const put = (k: keyof typeof PUT, count: number, pid = 10): Ev => ({
  ev: 'mod_and_test',
  val: -1,
  ret: count === 0 ? 1 : 0,
  count,
  pid,
  stack: PUT[k][1],
});

describe('holders: pairing gets with puts by owner', () => {
  it('a failed freeze names the extra holder with the stack that took it', async () => {
    const r = await trace([
      { ev: 'set', val: 1, count: 1, stack: ['prep_new_page', 'get_page_from_freelist'] },
      get('pageCache', 2),
      put('lookup', 1), // readahead's allocation ref, handed over
      get('splice', 2, 11),
      get('isolation', 3),
      {
        ev: 'freeze',
        val: 2,
        ret: 0,
        count: 3,
        stack: ['page_ref_freeze', '__remove_mapping', 'shrink_folio_list'],
      },
    ]);
    const [f] = freezeFailures(holderContext(r, '6.12'));
    expect(f).toMatchObject({ expected: 2, actual: 3, unexplained: 0 });
    expect(f.expectedHolders.map((h) => h.owner).sort()).toEqual(['isolation', 'page-cache']);
    expect(f.extra).toMatchObject([{ owner: 'pipe', refs: 1, line: 23, task: 'task-11' }]);
    expect(f.extra[0].stack[0]).toBe('splice_folio_into_pipe');
  });

  it('pairs each owner class: what is put is no longer held', async () => {
    for (const [g, p] of [
      ['lru', 'lruDrain'],
      ['isolation', 'putback'],
      ['mapping', 'zap'],
      ['vmsplice', 'pipe'],
      ['gup', 'unpin'],
      ['swap', 'swap'],
      ['private', 'private'],
      ['pageCache', 'pageCache'],
      ['lookup', 'lookup'],
    ] as const) {
      const r = await trace([{ ev: 'set', val: 1, count: 1 }, get('splice', 2), get(g, 3), put(p, 2)]);
      const h = holdersAt(holderContext(r, '6.12'), 0x1000)!;
      expect(
        h.holders.map((x) => x.owner),
        `${g}/${p}`,
      ).toEqual(['allocation', 'pipe']);
      expect(h.pairing).toMatchObject({ byOwner: 1, taskOrder: 0 });
    }
  });

  it('a zap put takes the allocation reference the fault handed to the PTE', async () => {
    const r = await trace([
      { ev: 'set', val: 1, count: 1 },
      get('lru', 2),
      put('lruDrain', 1),
      put('zap', 0),
    ]);
    const h = holdersAt(holderContext(r, '6.12'), 0x1000)!;
    expect(h.holders).toEqual([]);
    expect(h.pairing).toMatchObject({ byOwner: 1, handedOver: 1 });
  });

  it('without stacks: the count arithmetic and owner unknown (no stacks), paired by task order', async () => {
    const r = await trace([
      { ev: 'set', val: 1, count: 1 },
      { ev: 'mod', val: 1, count: 2 },
      { ev: 'mod', val: 1, count: 3, pid: 11 },
      { ev: 'mod_and_test', val: -1, ret: 0, count: 2, pid: 11 },
      { ev: 'mod', val: 1, count: 3 },
      { ev: 'freeze', val: 2, ret: 0, count: 3 },
    ]);
    const [f] = freezeFailures(holderContext(r, '6.12'));
    expect(f.extra).toEqual([
      {
        owner: 'unknown',
        label: 'unknown (no stacks)',
        refs: 1,
        line: undefined,
        task: undefined,
        stack: [],
      },
    ]);
    expect(f.holders.map((h) => h.line)).toEqual([3, 4, 7]);
    expect(f.pairing.taskOrder).toBe(1);
  });

  it('unfreeze keeps val references, dropping the page cache first', async () => {
    const r = await trace([
      { ev: 'set', val: 1, count: 1 },
      get('pageCache', 2),
      get('isolation', 3),
      { ev: 'freeze', val: 3, ret: 1, count: 0 },
      { ev: 'unfreeze', val: 2, count: 2 },
    ]);
    const h = holdersAt(holderContext(r, '6.12'), 0x1000)!;
    expect(h.holders.map((x) => x.owner)).toEqual(['allocation', 'isolation']);
  });
});
