/**
 * Where a mapping reference taken by remove_migration_pte() came from. Migration runs in the
 * migrating task (move_pages, compact_memory, kcompactd), but the PTEs it restores belong to
 * whatever mms mapped the source folio: try_to_migrate_one() drops the source's PTE reference
 * and remove_migration_pte() takes one on the destination for the same PTE (mm/rmap.c,
 * mm/migrate.c). migrate_folio_move() then drops the destination's allocation reference and,
 * right after it on the same CPU, migrate_folio_done() frees the source (put ret=1; 6.1 and
 * 6.12 mm/migrate.c). That adjacency links destination to source; the reference the source's
 * unmap dropped is the origin of the destination's mapping.
 *
 * An undo (remove_migration_ptes(src, src) after failed passes) restores the source's own PTEs:
 * the page is then not a destination (it was unmapped since its allocation), so no link.
 */
import { PageRefType } from '../kernel/tracepoint.js';
import type { EventStore } from '../trace/store.js';
import type { HolderContext } from './holders.js';
import { MIGRATE, REMAP, UNMAP } from './migration-shapes.js';
import { frameFunction } from './owners.js';
import { RefTracker, type RefEntry } from './refs.js';

const REMAP_FN = 'remove_migration_pte';
const UNMAP_FN = 'try_to_migrate_one';
/** frames of migrate_pages' allocation of a destination and of its final put of a source */
const MIGRATE_FNS = new Set(['migrate_pages_batch', 'unmap_and_move', 'migrate_folio_done']);

/** What each stack says about migration, judged once per stack. */
class StackFacts {
  /** stack id -> bits + 8 (bit 1: remove_migration_pte, 2: try_to_migrate_one, 4: a migrate_pages frame); 0 = not judged */
  private readonly bits: Uint8Array;
  private readonly stack: Uint32Array;
  /** `inferred`: per event, the bits migration-shapes.ts read from a trace without stacks */
  constructor(
    private readonly s: EventStore,
    private readonly inferred: Uint8Array | undefined,
  ) {
    this.bits = new Uint8Array(s.stacks.size);
    this.stack = s.columns().stack;
  }

  of(i: number): number {
    const st = this.stack[i];
    if (st === 0) return this.inferred === undefined ? 0 : this.inferred[i];
    if (this.bits[st - 1] === 0) {
      let b = 0;
      for (const f of this.s.frames(st - 1).map(frameFunction))
        b |= f === REMAP_FN ? REMAP : f === UNMAP_FN ? UNMAP : MIGRATE_FNS.has(f) ? MIGRATE : 0;
      this.bits[st - 1] = b + 8;
    }
    return this.bits[st - 1] - 8;
  }
}

/**
 * remove_migration_pte gets on a destination -> the source pfn, found in one pass (without
 * stacks, none: migration-shapes.ts InferredLinks stand for them).
 */
export function migrationLinks(s: EventStore): Map<number, number> {
  const links = new Map<number, number>();
  // every link needs a remove_migration_pte stack: none without stacks (no pass over the events)
  if (s.stacks.size === 0) return links;
  const facts = new StackFacts(s, undefined);
  const c = s.columns();
  /** pfns allocated by migrate_pages and not unmapped since (few: a Set, not a flag per pfn) */
  const dest = new Set<number>();
  const pending = new Map<number, { pfn: number; gets: number[] }>();
  for (let i = 0; i < c.n; i++) {
    const b = facts.of(i);
    const sh = c.shape[i];
    const type = c.type[sh];
    // an event without migration frames changes nothing but a page_ref_set's destination
    if (b === 0 && (type !== PageRefType.set || dest.size === 0)) continue;
    const pfn = c.wide ? s.pfn(i) : c.pfnLo[i];
    if (type === PageRefType.set && (b & 4) !== 0) dest.add(pfn);
    else if (type === PageRefType.set || b & 2) dest.delete(pfn);
    const cpu = c.cpu[sh];
    const p = pending.get(cpu);
    if (b & 1 && s.val(i) > 0 && dest.has(pfn)) {
      if (p?.pfn === pfn) p.gets.push(i);
      else pending.set(cpu, { pfn, gets: [i] });
    } else if (
      p &&
      pfn !== p.pfn &&
      b & 4 &&
      s.val(i) < 0 &&
      c.ret[sh] === 1 &&
      type !== PageRefType.freeze
    ) {
      for (const g of p.gets) links.set(g, pfn);
      pending.delete(cpu);
    }
  }
  return links;
}

/** A remap get's store index -> its source pfn (a Map with stacks, InferredLinks without). */
export interface MigrationLinks {
  has(get: number): boolean;
  get(get: number): number | undefined;
}

export interface MappingOrigin {
  /** the reference the first source's unmap dropped (its get is the mapping's real origin) */
  entry: RefEntry;
  /** the sources, newest first */
  via: number[];
}

/**
 * The origins of mapping references taken by remove_migration_pte on a destination: the entry the
 * source's unmap consumed, followed through repeated migrations. One per analysis (its tracker
 * and stack facts are reused for every reference judged).
 */
export class MappingOrigins {
  private readonly facts: StackFacts;
  private readonly t: RefTracker;

  constructor(
    private readonly ctx: HolderContext,
    private readonly links: MigrationLinks,
  ) {
    this.facts = new StackFacts(ctx.store, ctx.owners.inferred?.facts);
    this.t = new RefTracker(ctx.owners);
  }

  /** The origin of the mapping reference taken at store index `get`. */
  of(get: number): MappingOrigin | undefined {
    const via: number[] = [];
    let at = get;
    for (let depth = 0; depth < 16; depth++) {
      const src = this.links.get(at);
      if (src === undefined) break;
      const entry = this.unmappedEntry(src, at, remapRank(this.ctx.store, this.links, at));
      if (entry === undefined) break;
      via.push(src);
      if (entry.event < 0 || !this.links.has(entry.event)) return { entry, via };
      at = entry.event;
    }
    return undefined;
  }

  /**
   * The entry dropped by the source's last unmap before `before`; among several PTEs of one
   * source, the k-th remap on the destination matches the k-th unmap (both walk the same rmap).
   */
  private unmappedEntry(src: number, before: number, k: number): RefEntry | undefined {
    const { facts, t } = this;
    const s = this.ctx.store;
    const ix = s.pfnIndex();
    const r = ix.rank(src);
    if (r < 0) return undefined;
    t.restart();
    // the entries the unmaps since the source's last remap get consumed: only the k-th (or the
    // last one when there are fewer) is wanted, so the others are counted, not built
    let seen = 0;
    let pick: RefEntry | undefined;
    for (let j = ix.offsets[r], end = ix.offsets[r + 1]; j < end; j++) {
      const i = ix.indices[j];
      if (i > before) break;
      const b = facts.of(i);
      if (b & REMAP && s.val(i) > 0) {
        seen = 0;
        pick = undefined;
      }
      t.apply(i);
      if (b & UNMAP && s.val(i) < 0) {
        for (let m = 0; m < t.consumedLength && seen <= k; m++, seen++) pick = t.consumedAt(m);
      }
    }
    return pick;
  }
}

/** How many remaps of the same source precede `get` on its destination. */
function remapRank(s: EventStore, links: MigrationLinks, get: number): number {
  const src = links.get(get);
  const ix = s.pfnIndex();
  const r = ix.rank(s.pfn(get));
  let k = 0;
  for (let j = ix.offsets[r], end = ix.offsets[r + 1]; j < end; j++) {
    const i = ix.indices[j];
    if (i >= get) break;
    if (links.get(i) === src) k++;
  }
  return k;
}
