/**
 * struct folio_batch (include/linux/pagevec.h, 6.1 and 6.12): a fixed array of PAGEVEC_SIZE folios
 * and their count, as the per-CPU LRU batches of mm/swap.c keep them (PAGEVEC_SIZE is the profile's
 * folioBatchSize: 15 in 6.1, 31 in 6.12). Here the folios are pfns in an Int32Array.
 */
import type { Pfn } from '../kernel/mem_map.js';

export class FolioBatch {
  readonly folios: Int32Array;
  nr = 0;
  constructor(size: number) {
    this.folios = new Int32Array(size);
  }
}

/** folio_batch_add(): appends the folio, returns the slots left (0: full) */
export function folio_batch_add(fbatch: FolioBatch, folio: Pfn): number {
  fbatch.folios[fbatch.nr++] = folio;
  return fbatch.folios.length - fbatch.nr;
}
