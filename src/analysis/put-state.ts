/**
 * What a put's event shows of the page, for pairing the puts of a trace without stacks (refs.ts):
 * the page-table mappings its mapcount leaves, and whether it is still in a page cache.
 *
 * Every path that drops a PTE's reference removes the PTE's rmap first (profile putShows.pte
 * 'rmap_removed': zap_pte_range, try_to_migrate_one, try_to_unmap_one, wp_page_copy), so the
 * mapping references still outstanding after a put cannot outnumber the mappings its event counts:
 * a put that finds more drops one of them. Only the last put of a task's run of puts on the page at
 * one mapcount does: the gather's free drains this CPU's LRU batches before it drops the PTEs'
 * references (6.1 mm/swap_state.c:307 and 6.12 :315 free_pages_and_swap_cache: lru_add_drain, then
 * release_pages / folios_put_refs; profile mmuGatherFree.drains), so a batch's put
 * (folio_batch_move_lru -> folios_put, mm/swap.c) comes between the rmap's removal and the PTE's.
 *
 * Order-0 pages only: a large folio holds a reference on its head for every subpage's PTE (6.1
 * mm/huge_memory.c:2189 __split_huge_pmd_locked page_ref_add(HPAGE_PMD_NR - 1)), while the head's
 * mapcount counts its own PTEs (and on 6.1 the PMD's, mm/util.c:787 __page_mapcount).
 *
 * The page cache's references are put only once folio->mapping is NULL (profile putShows.pageCache
 * 'mapping_cleared': page_cache_delete, shmem_delete_from_page_cache, then folio_put_refs), so a
 * put whose event still shows a mapping is not the page cache's.
 */
import { loadProfile } from '../kernel/profiles/index.js';
import type { ProfileName } from '../kernel/profiles/types.js';
import type { EventColumns, EventStore } from '../trace/store.js';
import { tracedMappings } from './consistency.js';
import { HAS_MAPPING, HEAD, isPut, ShapeBits } from './migration-shapes.js';

export class PutState {
  private readonly shapes: ShapeBits;
  private readonly c: EventColumns;
  /**
   * per event: 1 a put that its task's next event on the page, a put at the same mapcount,
   * follows; filled page by page (page(), for every rank before the state is read)
   */
  private readonly runContinues: Uint8Array;

  private constructor(
    private readonly s: EventStore,
    private readonly profile: ProfileName,
    /** putShows.pte 'rmap_removed' */
    private readonly rmapFirst: boolean,
    /** putShows.pageCache 'mapping_cleared' */
    private readonly mappingFirst: boolean,
  ) {
    const c = (this.c = s.columns());
    this.shapes = new ShapeBits(s, c, profile);
    this.runContinues = new Uint8Array(c.n);
  }

  /** Reads the page of the store's pfn index `rank` (holderContext runs it with the inference's page markers). */
  page(rank: number): void {
    const { s, c } = this;
    const ix = s.pfnIndex();
    const idx = ix.indices;
    const hi = ix.offsets[rank + 1];
    for (let q = ix.offsets[rank]; q + 1 < hi; q++) {
      const i = idx[q],
        j = idx[q + 1];
      const sh = c.shape[i],
        jsh = c.shape[j];
      if (c.pid[sh] !== c.pid[jsh] || c.mapcounts[i] !== c.mapcounts[j]) continue;
      if (isPut(c.type[sh], s.val(i)) && isPut(c.type[jsh], s.val(j))) this.runContinues[i] = 1;
    }
  }

  /** For a store without stacks whose profile says what its puts show; else undefined. */
  static of(s: EventStore, profile: ProfileName | undefined): PutState | undefined {
    if (s.stacks.size > 0 || profile === undefined) return undefined;
    const { pte, pageCache } = loadProfile(profile).facts.putShows;
    return new PutState(s, profile, pte === 'rmap_removed', pageCache === 'mapping_cleared');
  }

  /**
   * The mappings put i's mapcount leaves, or -1 where that bounds nothing: a large folio's head, a
   * put its task's next put on the page follows at the same mapcount.
   */
  mappingsLeft(i: number): number {
    if (!this.rmapFirst || this.runContinues[i] === 1) return -1;
    if ((this.shapes.of(i, this.c.shape[i]) & HEAD) !== 0) return -1;
    return tracedMappings(this.profile, this.c.mapcounts[i]);
  }

  /** Whether put i's page is still in a page cache (its mapping set): the put is not the cache's. */
  inPageCache(i: number): boolean {
    return this.mappingFirst && (this.shapes.of(i, this.c.shape[i]) & HAS_MAPPING) !== 0;
  }
}
