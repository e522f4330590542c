/**
 * Migration destinations and their sources recognised without stacks, from the events' order and
 * shapes alone, so that a trace recorded without stacks judges a destination's references as the
 * migration moved them (what owners.ts and migration.ts read from the frames otherwise).
 *
 * migrate_folio_move() (6.1 __migrate_folio_move and 6.12, mm/migrate.c) on the destination dst,
 * allocated with page_ref_set by the migrating task and locked since (migrate_folio_unmap):
 *  1. move_to_new_folio -> __folio_migrate_mapping (6.1 folio_migrate_mapping) for a folio with a
 *     mapping: folio_ref_freeze(src, expected) ret=1, then folio_ref_add(dst, nr) — dst's flags
 *     only PG_locked (folio_migrate_flags runs after), its mapping already set — then
 *     folio_ref_unfreeze(src): the page cache's reference moves to dst;
 *  2. folio_add_lru(dst): +1 for the per-CPU batch, which may be drained at once (6.1
 *     `if (page_was_mapped) lru_add_drain()`, or a full batch): -1 with PG_lru still locked;
 *  3. remove_migration_ptes(src, dst): remove_migration_pte() folio_get per restored PTE, before
 *     the rmap is added (dst's mapcount grows by one per get, seen at the next event);
 *  4. folio_unlock(dst); folio_put(dst): the allocation's reference, dst now unlocked;
 *  5. migrate_folio_done(src): folio_put(src) to 0 (ret=1), the next event on the same CPU.
 * The batch drain of step 2, if it did not happen then, is the first put on dst with PG_lru.
 * On the source, between its isolation and that last put, the same task's locked puts that lower
 * the mapcount are try_to_migrate_one()'s (6.1 and 6.12 mm/rmap.c: folio_remove_rmap_pte before
 * folio_put) and its locked gets after them remove_migration_ptes(src, src) of a failed pass.
 *
 * A destination is taken only when all of it holds: step 4 followed by step 5 on the same CPU and
 * task, every event of dst since its page_ref_set by that task with PG_locked, and as many gets
 * after the batch's as PTEs mapped at step 4. A page-cache insertion (__filemap_add_folio adds its
 * references while mapping is still NULL and unlocks without a source freed after), a fault, a GUP
 * or a pipe (other tasks, no lock, no freed source) do not fit.
 */
import { loadProfile } from '../kernel/profiles/index.js';
import type { ProfileName } from '../kernel/profiles/types.js';
import { PageRefType } from '../kernel/tracepoint.js';
import { traceFlagsDecoder } from '../explain/profile-decoders.js';
import { lowerBound, type PfnIndex } from '../trace/pfn-index.js';
import type { EventColumns, EventStore } from '../trace/store.js';
import { OWNERS, type Owner } from './owners.js';

/** migration.ts StackFacts bits: a remove_migration_pte get, a try_to_migrate_one put, a migrate_pages frame (stacks only) */
export const REMAP = 1,
  UNMAP = 2,
  MIGRATE = 4;
/** InferredMigrations.facts: a destination's remap get whose source InferredLinks knows */
const LINKED = 8;
/** InferredMigrations.facts: an owner cache-shapes.ts inferred (a page-cache insertion or a fault-around), not a migration's */
export const SHAPED = 16;

export interface InferredMigrations {
  /** per event: owner code (refs.ts OWNER_LIST order) + 1 of its get or put; 0 = not inferred */
  owner: Uint8Array;
  /** per event: the REMAP / UNMAP bits the stack would have shown (migration.ts unmappedEntry) */
  facts: Uint8Array;
  /** a destination's remap get -> the source pfn (migration.ts migrationLinks) */
  links: InferredLinks;
  /** destinations recognised */
  destinations: number;
}

const OWNER_CODES = Object.keys(OWNERS) as Owner[];
/** owner o's code in InferredMigrations.owner (refs.ts OWNER_LIST order + 1) */
export const code = (o: Owner): number => OWNER_CODES.indexOf(o) + 1;
const PAGE_CACHE = code('page-cache'),
  LRU_BATCH = code('lru-batch'),
  MAPPING = code('mapping'),
  ISOLATION = code('isolation');

/** per-shape bits */
const SEEN = 1;
export const LOCKED = 2,
  LRU = 4,
  ONLY_LOCKED = 8,
  HAS_MAPPING = 16,
  SWAPCACHE = 32,
  HEAD = 64;

/** What each shape's flags and mapping say, judged once per shape. */
export class ShapeBits {
  private readonly bits: Uint8Array;
  private readonly decode: (text: string) => number;
  private readonly locked: number;
  private readonly lru: number;
  private readonly swapcache: number;
  private readonly head: number;

  constructor(
    private readonly s: EventStore,
    c: EventColumns,
    profile: ProfileName,
  ) {
    const p = loadProfile(profile);
    const dec = traceFlagsDecoder(p);
    this.decode = (t) => dec.decode(t)?.lo ?? 0;
    const mask = (n: string): number => p.flagNames.find((f) => f.name === n)?.mask ?? 0;
    this.locked = mask('locked');
    this.lru = mask('lru');
    // PG_swapcache is PG_owner_priv_1, printed by that name (6.1 and 6.12 include/linux/page-flags.h,
    // include/trace/events/mmflags.h); a file system's PG_checked shares the bit: counted too
    this.swapcache = mask('owner_priv_1');
    this.head = mask('head');
    this.bits = new Uint8Array(c.type.length);
  }

  /** the bits of event i's shape */
  of(i: number, sh: number): number {
    let b = this.bits[sh];
    if (b === 0) {
      const lo = this.decode(this.s.flagsText(i));
      const m = this.s.mappingText(i);
      b = SEEN;
      if (lo & this.locked) b |= LOCKED;
      if (lo & this.lru) b |= LRU;
      if (lo & this.swapcache) b |= SWAPCACHE;
      if (lo & this.head) b |= HEAD;
      if (lo === this.locked) b |= ONLY_LOCKED;
      if (m !== '(nil)' && !/^0+$/.test(m)) b |= HAS_MAPPING;
      this.bits[sh] = b;
    }
    return b;
  }
}

export const isPut = (type: number, val: number): boolean =>
  val < 0 && type !== PageRefType.freeze && type !== PageRefType.unfreeze && type !== PageRefType.set;
export const isGet = (type: number, val: number, ret: number): boolean =>
  val > 0 &&
  (type === PageRefType.mod ||
    type === PageRefType.mod_and_return ||
    (type === PageRefType.mod_unless && ret === 1));

/**
 * Destinations' remap gets -> source pfn, as migration.ts reads links: a bit per event and the
 * pairs sorted by event (a Map of ~100 k entries cost a third of the inference).
 */
export class InferredLinks {
  private events: Uint32Array = new Uint32Array(1024);
  private sources: Float64Array = new Float64Array(1024);
  private n = 0;
  private sorted = true;

  constructor(private readonly facts: Uint8Array) {}

  get size(): number {
    return this.n;
  }

  has(i: number): boolean {
    return (this.facts[i] & LINKED) !== 0;
  }

  get(i: number): number | undefined {
    if (!this.has(i)) return undefined;
    return this.sources[lowerBound(this.events, 0, this.n, i)];
  }

  add(i: number, src: number): void {
    if (this.n === this.events.length) {
      const e = new Uint32Array(this.n * 2);
      e.set(this.events);
      const f = new Float64Array(this.n * 2);
      f.set(this.sources);
      this.events = e;
      this.sources = f;
    }
    if (this.n > 0 && this.events[this.n - 1] > i) this.sorted = false;
    this.events[this.n] = i;
    this.sources[this.n++] = src;
    this.facts[i] |= LINKED;
  }

  /** Sorts the pairs by event (the batches' moves come almost in order). */
  seal(): void {
    if (this.sorted) return;
    const order = Uint32Array.from({ length: this.n }, (_, k) => k).sort(
      (x, y) => this.events[x] - this.events[y],
    );
    this.events = Uint32Array.from(order, (k) => this.events[k]);
    this.sources = Float64Array.from(order, (k) => this.sources[k]);
    this.sorted = true;
  }
}

/**
 * The migrations of a trace without stacks (undefined when it has stacks, or no profile to read
 * its flags with): one pass over the events for steps 4-5, then each candidate's pages checked.
 */
export function inferMigrations(
  s: EventStore,
  profile: ProfileName | undefined,
): InferredMigrations | undefined {
  if (s.stacks.size > 0 || profile === undefined) return undefined;
  const c = s.columns();
  const shapes = new ShapeBits(s, c, profile);
  /** (dst's put, src's put) pairs of steps 4-5 */
  let pairs = new Uint32Array(1024);
  let np = 0;
  // only events at count 0 can be step 5; the one before on its CPU is found walking back (the
  // walks of one CPU's candidates cover disjoint stretches: O(events x CPUs) at worst); the
  // columns in locals, the loop reads one for every event
  const { shape, cpu, counts, ret } = c;
  for (let i = 1; i < c.n; i++) {
    if (counts[i] !== 0) continue;
    const sh = shape[i];
    if (ret[sh] !== 1 || !isPut(c.type[sh], s.val(i))) continue;
    let prev = i - 1;
    while (prev >= 0 && cpu[shape[prev]] !== cpu[sh]) prev--;
    if (prev < 0) continue;
    const psh = c.shape[prev];
    if (c.pid[psh] !== c.pid[sh] || c.counts[prev] < 1 || !isPut(c.type[psh], s.val(prev))) continue;
    if (s.pfn(prev) === s.pfn(i) || (shapes.of(prev, psh) & LOCKED) !== 0) continue;
    if (np + 2 > pairs.length) {
      const wider = new Uint32Array(pairs.length * 2);
      wider.set(pairs);
      pairs = wider;
    }
    pairs[np++] = prev;
    pairs[np++] = i;
  }
  const facts = new Uint8Array(c.n);
  const out: InferredMigrations = {
    owner: new Uint8Array(c.n),
    facts,
    links: new InferredLinks(facts),
    destinations: 0,
  };
  const m = new Marker(s, c, shapes, out);
  for (let k = 0; k < np; k += 2)
    if (m.destination(pairs[k], pairs[k + 1])) {
      m.source(pairs[k + 1]);
      out.destinations++;
    }
  out.links.seal();
  return out;
}

/** Checks the candidates' pages on the pfn index (positions, no views per page) and marks them. */
class Marker {
  private readonly ix: PfnIndex;

  constructor(
    private readonly s: EventStore,
    private readonly c: EventColumns,
    private readonly shapes: ShapeBits,
    private readonly out: InferredMigrations,
  ) {
    this.ix = s.pfnIndex();
  }

  /** Checks dst (whose put is `put`, the source's last put `srcPut`) and marks its events. */
  destination(put: number, srcPut: number): boolean {
    const { s, c, shapes, out, ix } = this;
    const idx = ix.indices;
    const r = ix.rank(s.pfn(put));
    const lo = ix.offsets[r];
    const hi = ix.offsets[r + 1];
    const p = lowerBound(idx, lo, hi, put);
    const pid = c.pid[c.shape[put]];
    let a = p - 1;
    for (; a >= lo; a--) {
      const i = idx[a];
      const sh = c.shape[i];
      if (c.pid[sh] !== pid) return false;
      if (c.type[sh] === PageRefType.set) break;
      const b = shapes.of(i, sh);
      const v = s.val(i);
      if ((b & LOCKED) === 0) return false;
      // dst->mapping is set before any get (folio_migrate_mapping); __filemap_add_folio's is not
      if (isGet(c.type[sh], v, c.ret[sh])) {
        if ((b & HAS_MAPPING) === 0) return false;
      } else if (!(isPut(c.type[sh], v) && b & LRU)) return false;
    }
    if (a < lo || s.val(idx[a]) < 1 || a === p - 1) return false;
    const set = idx[a];
    const src = s.pfn(srcPut);
    let batch = -1;
    let remaps = 0;
    for (let q = a + 1; q < p; q++) {
      const i = idx[q];
      const sh = c.shape[i];
      if (isPut(c.type[sh], s.val(i))) continue;
      if (batch < 0 && this.pageCacheMove(src, i)) continue;
      if (batch < 0) batch = i;
      else remaps++;
    }
    if (batch < 0 || remaps !== c.mapcounts[put] - c.mapcounts[set]) return false;
    let lruPut = -1;
    for (let q = a + 1; q < p; q++) {
      const i = idx[q];
      const sh = c.shape[i];
      if (isPut(c.type[sh], s.val(i))) out.owner[(lruPut = i)] = LRU_BATCH;
      else if (i === batch) out.owner[i] = LRU_BATCH;
      else if (i < batch) out.owner[i] = PAGE_CACHE;
      else {
        out.owner[i] = MAPPING;
        out.facts[i] = REMAP;
        out.links.add(i, src);
      }
    }
    out.owner[put] = ISOLATION;
    // the batch's drain after the move: the first event with PG_lru, if a put
    if (lruPut < 0)
      for (let q = p + 1; q < hi; q++) {
        const i = idx[q];
        const sh = c.shape[i];
        if (c.type[sh] === PageRefType.set) break;
        if ((shapes.of(i, sh) & LRU) === 0) continue;
        if (isPut(c.type[sh], s.val(i))) out.owner[i] = LRU_BATCH;
        break;
      }
    return true;
  }

  /** Step 1: dst's get `i` lies between the source's freeze ret=1 and its unfreeze, flags only PG_locked. */
  private pageCacheMove(src: number, i: number): boolean {
    const { c, shapes, ix } = this;
    const sh = c.shape[i];
    if ((shapes.of(i, sh) & (ONLY_LOCKED | HAS_MAPPING)) !== (ONLY_LOCKED | HAS_MAPPING)) return false;
    const r = ix.rank(src);
    const lo = ix.offsets[r];
    const hi = ix.offsets[r + 1];
    const q = lowerBound(ix.indices, lo, hi, i);
    if (q === lo || q >= hi) return false;
    const before = c.shape[ix.indices[q - 1]];
    const after = c.shape[ix.indices[q]];
    return (
      c.type[before] === PageRefType.freeze &&
      c.ret[before] === 1 &&
      c.type[after] === PageRefType.unfreeze &&
      c.cpu[before] === c.cpu[sh]
    );
  }

  /**
   * The source's last put (step 5) and, back to its isolation (the migrating task's last get on it
   * while unlocked; not before an event already marked, its own time as a destination), the
   * try_to_migrate_one puts and the undos' remaps after them.
   */
  source(put: number): void {
    const { s, c, shapes, out, ix } = this;
    out.owner[put] = ISOLATION;
    const idx = ix.indices;
    const r = ix.rank(s.pfn(put));
    const lo = ix.offsets[r];
    const p = lowerBound(idx, lo, ix.offsets[r + 1], put);
    const pid = c.pid[c.shape[put]];
    let a = p;
    for (; a > lo; a--) {
      const i = idx[a - 1];
      const sh = c.shape[i];
      if (c.pid[sh] !== pid || c.type[sh] === PageRefType.set || out.owner[i] !== 0) break;
      if ((shapes.of(i, sh) & LOCKED) === 0 && isGet(c.type[sh], s.val(i), c.ret[sh])) break;
    }
    // the mapcount after each event: a remap's get comes before its rmap is added
    let mapped = a > lo ? c.mapcounts[idx[a - 1]] : c.mapcounts[idx[a]];
    let unmapped = false;
    for (let q = a; q < p; q++) {
      const i = idx[q];
      const sh = c.shape[i];
      const v = s.val(i);
      const locked = (shapes.of(i, sh) & LOCKED) !== 0;
      const shown = c.mapcounts[i];
      if (locked && unmapped && isGet(c.type[sh], v, c.ret[sh])) {
        out.owner[i] = MAPPING;
        out.facts[i] = REMAP;
        mapped = shown + 1;
        continue;
      }
      if (locked && isPut(c.type[sh], v) && shown < mapped) {
        out.owner[i] = MAPPING;
        out.facts[i] = UNMAP;
        unmapped = true;
      }
      mapped = shown;
    }
  }
}
