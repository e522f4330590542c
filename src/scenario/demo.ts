/**
 * `folioscope demo`: seed 002's story (a process writes an anonymous page, forks, the child
 * writes it, both exit) run on the model with the chosen profile's rules, step by step: the
 * page_ref lines the kernel would print, why each one happened, the state of every page after
 * the step, and where the seed's explanation differs from the kernel.
 */
import { page_mapcount } from '../kernel/folio.js';
import { show_page_flags } from '../kernel/flag_names.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Pfn } from '../kernel/mem_map.js';
import { page_type_name } from '../kernel/page_type.js';
import type { Profile } from '../kernel/profiles/index.js';
import { PAGE_REF_EVENT_NAMES, type PageRefRecord } from '../kernel/tracepoint.js';
import { formatPageRefLine } from '../kernel/trace_format.js';
import { Machine } from '../mm/machine.js';
import { handle_mm_fault } from '../mm/memory.js';
import { do_mmap_anon, type Task } from '../mm/mm_types.js';
import { PageAnonExclusive } from '../mm/rmap.js';
import { lru_add_pending } from '../mm/swap.js';

export interface DemoEvent {
  line: string;
  /** the model's call path, outermost first */
  path: string[];
  why: string;
  record: PageRefRecord;
}

export interface DemoPageState {
  pfn: string;
  refcount: number;
  /** raw _mapcount (-1 = not mapped) */
  mapcountRaw: number;
  /** page_mapcount(): _mapcount + 1, what 6.1 traces and dump_page print */
  mappings: number;
  flags: string;
  anonExclusive: boolean;
  type: string | null;
  /** references held by per-CPU lru_add batches */
  batchRefs: number;
}

export interface DemoStep {
  title: string;
  events: DemoEvent[];
  pages: DemoPageState[];
  seed: string;
}

export interface DemoResult {
  profile: string;
  release: string;
  config: string;
  steps: DemoStep[];
}

// Why an event happened, by (event, innermost function on the model's path)
const WHY: Record<string, string> = {
  'page_ref_set:vma_alloc_folio':
    'the page allocator hands out a page: set_page_refcounted() sets refcount 1 (flags are set later, so none show yet)',
  'page_ref_set:folio_prealloc': "wp_page_copy() allocates the child's own copy: refcount 1",
  'page_ref_set:pte_alloc_one':
    'a page-table page for the new mapping (pte_alloc_one): refcount 1, its PageTable type is set after the event',
  'page_ref_mod:do_anonymous_page':
    'folio_ref_add(folio, nr_pages - 1) with nr_pages = 1: adds 0 but is traced all the same',
  'page_ref_mod:folio_add_lru': "folio_add_lru(): this CPU's lru_add batch holds a reference until it drains",
  'page_ref_mod:copy_present_ptes':
    "fork: the child's PTE takes a reference (folio_get) before the mapcount goes up",
  'page_ref_mod:do_wp_page':
    'do_wp_page(): the page is shared (not AnonExclusive, refcount > 1), so take a reference and copy',
  'page_ref_mod_and_test:folios_put':
    "the lru_add batch drains: the page goes on the LRU (PG_lru) and the batch's reference is dropped",
  'page_ref_mod_and_test:wp_page_copy':
    "wp_page_copy(): drops a reference on the old page (first the old PTE's, then do_wp_page()'s)",
  'page_ref_mod_and_test:tlb_finish_mmu':
    "exit: the mmu_gather flush drops the PTE's reference (the rmap was removed before, untraced); page-table pages go the same way",
};

function explain(rec: PageRefRecord, path: string[]): string {
  const name = PAGE_REF_EVENT_NAMES[rec.type];
  for (let i = path.length - 1; i >= 0; i--) {
    const why = WHY[`${name}:${path[i]}`];
    if (why)
      return rec.ret === 1 && name === 'page_ref_mod_and_test'
        ? `${why}; last reference: the page is freed`
        : why;
  }
  return path.join(' > ');
}

function pageState(k: Kernel, pfn: Pfn): DemoPageState {
  const m = k.mem;
  const batchRefs = lru_add_pending(k, 0).filter((p) => p === pfn).length;
  return {
    pfn: `0x${pfn.toString(16)}`,
    refcount: m.refcount[pfn],
    mapcountRaw: m.mapcount[pfn],
    mappings: page_mapcount(k, pfn),
    flags: show_page_flags(k.profile, m.flagsLo[pfn]),
    anonExclusive: PageAnonExclusive(k, pfn),
    type: page_type_name(k, pfn) ?? null,
    batchRefs,
  };
}

/** Runs the story on a fresh model of `profile` and returns every step. */
export function runForkCowDemo(profile: Profile): DemoResult {
  const machine = new Machine({ profile, nrPages: 0x4000, nrCpus: 1 });
  const k = machine.k;
  let clock = 8_416_184_000;
  let events: DemoEvent[] = [];
  k.tracer.subscribe((rec, ctx) => {
    k.tracer.ctx.timestampNs = clock += 4_000 + (clock % 7) * 1_000;
    const path = [...k.callStack];
    events.push({
      line: formatPageRefLine(profile, rec, ctx),
      path,
      why: explain(rec, path),
      record: { ...rec },
    });
  });
  const steps: DemoStep[] = [];
  const pages: Pfn[] = [];
  const step = (title: string, seed: () => string) => {
    steps.push({ title, events, pages: pages.map((p) => pageState(k, p)), seed: seed() });
    events = [];
  };

  const parent: Task = machine.spawn('A', 'demo', 0);
  const region = do_mmap_anon(k, parent.mm!, 'page', 1, false);
  machine.run(parent, () => handle_mm_fault(k, parent.mm!, region, 0, true));
  const x = region.pfn[0];
  pages.push(x);
  step('A writes one anonymous page: do_anonymous_page()', () => {
    const s = pageState(k, x);
    return (
      `seed: "_count = 1, _mapcount = 0". Kernel: refcount ${s.refcount}` +
      (s.batchRefs ? ` (1 mapping + ${s.batchRefs} held by the lru_add batch until it drains)` : '') +
      `; raw _mapcount ${s.mapcountRaw} means mapped once, and page_mapcount(), which the seed's ` +
      `print_page_counts() calls, returns ${s.mappings}, not 0.`
    );
  });

  const child = machine.fork(parent, 'B', 0);
  step('A forks B: copy_present_pte() shares the page', () => {
    const s = pageState(k, x);
    return (
      `seed: "_count = 2, _mapcount = 1". Kernel: refcount ${s.refcount}` +
      (s.batchRefs ? ' (the lru_add batch still holds one)' : '') +
      `, raw _mapcount ${s.mapcountRaw} (two mappings; page_mapcount() = ${s.mappings}); fork also cleared ` +
      `PG_anon_exclusive, and the seed's hand-made atomic_inc(&page->_mapcount) is what rmap does, untraced.`
    );
  });

  const childRegion = child.mm!.vmas[0];
  machine.run(child, () => handle_mm_fault(k, child.mm!, childRegion, 0, true));
  const n = childRegion.pfn[0];
  pages.push(n);
  step('B writes the shared page: do_wp_page() copies it (wp_page_copy)', () => {
    const o = pageState(k, x);
    const c = pageState(k, n);
    return (
      `seed: "old page _count = 1, _mapcount = 0; new page _count = 1, _mapcount = 0". Kernel: old page ` +
      `refcount ${o.refcount}, raw _mapcount ${o.mapcountRaw}, AnonExclusive ${o.anonExclusive ? 'set' : 'clear'} ` +
      `(set again only when A writes it); new page refcount ${c.refcount}` +
      (c.batchRefs ? ` (${c.batchRefs} held by the lru_add batch)` : '') +
      `. The copy was decided by PG_anon_exclusive and the refcount (wp_can_reuse_anon_folio), not by the mapcount.`
    );
  });

  machine.exit(child);
  step('B exits: exit_mmap() drains the batch and unmaps', () => {
    const c = pageState(k, n);
    return (
      `seed: "__free_page(new_page)". Kernel: nobody frees it explicitly; exit_mmap()'s mmu_gather drops the ` +
      `last reference (refcount ${c.refcount}) and the page goes back to the allocator.`
    );
  });

  machine.exit(parent);
  step('A exits: exit_mmap() frees the original page', () => {
    const o = pageState(k, x);
    return `seed: "__free_page(page)". Kernel: freed by A's exit, refcount ${o.refcount}, _mapcount back to ${o.mapcountRaw}.`;
  });

  return { profile: profile.name, release: profile.facts.release, config: profile.configName, steps };
}

/** The demo as text for a terminal: under a screen per step. */
export function formatDemo(r: DemoResult): string {
  const out: string[] = [
    `folioscope demo — seed 002's fork/COW story on the Linux ${r.release} model (profile ${r.profile}, config ${r.config})`,
    '',
  ];
  r.steps.forEach((s, i) => {
    out.push(`Step ${i + 1}/${r.steps.length}: ${s.title}`);
    out.push('  trace:');
    for (const e of s.events) out.push(`    ${e.line.trimStart()}`, `      <- ${e.why}`);
    if (!s.events.length) out.push('    (no page_ref events)');
    out.push('  pages after the step:');
    out.push('    pfn      refcount  _mapcount  mapped  anon-excl  flags');
    for (const p of s.pages) {
      out.push(
        `    ${p.pfn.padEnd(8)} ${String(p.refcount).padStart(8)}  ${String(p.mapcountRaw).padStart(9)}  ` +
          `${String(p.mappings).padStart(6)}  ${(p.anonExclusive ? 'yes' : 'no').padEnd(9)}  ${p.flags}${p.type ? ` [${p.type}]` : ''}`,
      );
    }
    out.push(`  ${s.seed}`, '');
  });
  return out.join('\n');
}
