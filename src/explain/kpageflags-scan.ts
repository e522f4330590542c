/**
 * Walks a saved kpageflags file (and optionally kpagecount) over a pfn range the way
 * tools/mm/page-types.c walk_pfn()/add_page() does, feeding the flags summary.
 */
import type { ProfileName } from '../kernel/profiles/types.js';
import { readU64File, U64Cursor, type PfnRange } from './kpage-reader.js';
import { expandOverloadedFlags, FlagsSummary, unnamedBits, wellKnownFlags } from './page-types-format.js';

export interface KpageScanOptions {
  readonly profile: ProfileName;
  readonly range?: PfnRange;
  /** saved /proc/kpagecount to read alongside */
  readonly kpagecount?: string;
  /** page-types -r: keep hacker bits and expand overloaded bits instead of well_known_flags() */
  readonly raw?: boolean;
  /** called for every pfn with the kernel's word (before page-types filtering) */
  readonly onPage?: (pfn: number, kpageflags: bigint, kpagecount: bigint | undefined) => void;
}

export interface KpageScanResult {
  readonly summary: FlagsSummary;
  readonly firstPfn: number;
  readonly pages: number;
  /** bits page-types has no name for, with how many pages had them (page-types itself exits) */
  readonly unnamedBits: ReadonlyMap<number, number>;
}

export async function scanKpageflags(path: string, opts: KpageScanOptions): Promise<KpageScanResult> {
  const range = opts.range ?? { first: 0 };
  const counts = opts.kpagecount ? new U64Cursor(readU64File(opts.kpagecount, range)) : undefined;
  const summary = new FlagsSummary();
  const unnamed = new Map<number, number>();
  let pages = 0;
  for await (const batch of readU64File(path, range)) {
    const n = batch.values.length;
    const c = counts ? await counts.take(n) : undefined;
    if (c && c.length < n)
      throw new Error(`${opts.kpagecount}: ends before pfn ${batch.first + c.length} of ${path}`);
    for (let i = 0; i < n; i++) {
      const k = batch.values[i];
      opts.onPage?.(batch.first + i, k, c?.[i]);
      const f = opts.raw ? expandOverloadedFlags(k, opts.profile) : wellKnownFlags(k);
      for (const b of unnamedBits(f, opts.profile)) unnamed.set(b, (unnamed.get(b) ?? 0) + 1);
      summary.add(f);
      pages++;
    }
  }
  return { summary, firstPfn: range.first, pages, unnamedBits: unnamed };
}
