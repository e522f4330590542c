/**
 * Which kernel profile a trace comes from, from evidence in the events (reference §2.2, §2.4):
 * flag names that exist in only one version's show_page_flags table, and the mapcount field
 * (6.1 prints page_mapcount(): 0 unmapped, buddy -128, table -512; 6.10+ prints raw _mapcount:
 * -1 unmapped, page types as 0xf0..0xf8 in the top byte).
 */
import type { ProfileName } from '../kernel/profiles/types.js';
import { PageRefType } from '../kernel/tracepoint.js';
import type { EventStore } from './store.js';

export interface ProfileDetection {
  profile: ProfileName | undefined;
  evidence: string[];
}

const ONLY_6_1 = ['error', 'slab', 'mappedtodisk', 'uncached', 'skip_kasan_poison'];
const ONLY_6_12 = ['owner_2', 'arch_3'];
/** PG_dropbehind's name was added after unevictable in 6.14 (mmflags.h) */
const ONLY_MAINLINE = ['dropbehind'];
/** 6.1 page_type values seen through page_mapcount() (§2.2) */
const MAPCOUNT_6_1: Record<number, string> = {
  [-128]: 'buddy',
  [-256]: 'offline',
  [-512]: 'table',
  [-1024]: 'guard',
};
/** 6.12 PGTY_* ids in the top byte of the raw _mapcount; 0xf8 (large kmalloc) is 6.18+ */
const PGTY_6_12 = ['buddy', 'offline', 'table', 'guard', 'hugetlb', 'slab', 'zsmalloc', 'unaccepted'];

export function detectProfile(store: EventStore): ProfileDetection {
  const votes = { '6.1': 0, '6.12': 0, mainline: 0 };
  const evidence: string[] = [];
  const names = new Set<string>();
  for (const text of store.flagsTexts()) for (const n of text.split('|')) names.add(n);
  for (const [list, p] of [
    [ONLY_6_1, '6.1'],
    [ONLY_6_12, '6.12'],
    [ONLY_MAINLINE, 'mainline'],
  ] as const) {
    const seen = list.filter((n) => names.has(n));
    if (seen.length === 0) continue;
    votes[p]++;
    evidence.push(`flag name${seen.length > 1 ? 's' : ''} ${seen.join(', ')} (only in ${p}'s flag table)`);
  }
  let minusOne = 0;
  let setZero = 0;
  // counted by page type id (the top byte - 0xf0, 0..8) and by 6.1 value, in order of first sight
  const typedCounts = new Float64Array(9);
  const typedOrder: number[] = [];
  const oldCounts = new Map<number, number>();
  const c = store.columns();
  for (let i = 0; i < c.n; i++) {
    const m = c.mapcounts[i];
    if (m === -1) minusOne++;
    else if (m === 0) {
      if (c.type[c.shape[i]] === PageRefType.set) setZero++;
    } else if (m <= -0x08000000 && m >= -0x10000000) {
      const id = ((m >>> 24) & 0xff) - 0xf0;
      if (typedCounts[id]++ === 0) typedOrder.push(id);
    } else if (m === -128 || m === -256 || m === -512 || m === -1024)
      oldCounts.set(m, (oldCounts.get(m) ?? 0) + 1);
  }
  const typed = new Map(typedOrder.map((id) => [PGTY_6_12[id] ?? 'large_kmalloc', typedCounts[id]]));
  const old = new Map([...oldCounts].map(([m, n]) => [MAPCOUNT_6_1[m], n]));
  if (minusOne > 0) {
    votes['6.12']++;
    evidence.push(`${minusOne} events with mapcount=-1 (raw _mapcount, 6.10+)`);
  }
  if (minusOne === 0 && setZero > 0) {
    // set_page_refcount() at allocation (prep_new_page) sees an unmapped page: -1 raw in 6.10+
    votes['6.1']++;
    evidence.push(
      `${setZero} page_ref_set events with mapcount=0 and none with -1 (page_mapcount(), before 6.10)`,
    );
  }
  if (typed.size > 0) {
    votes[typed.has('large_kmalloc') ? 'mainline' : '6.12']++;
    const list = [...typed].map(([n, c]) => `${n} ${c}`).join(', ');
    evidence.push(`mapcount holds page types in the top byte (6.10+): ${list}`);
  }
  if (old.size > 0) {
    votes['6.1']++;
    const list = [...old].map(([n, c]) => `${n} ${c}`).join(', ');
    evidence.push(`mapcount values of page_mapcount() on typed pages (6.1): ${list}`);
  }
  let profile: ProfileName | undefined;
  if (votes.mainline > 0 && votes['6.1'] === 0) profile = 'mainline';
  else if (votes['6.12'] > 0 && votes['6.1'] === 0) profile = '6.12';
  else if (votes['6.1'] > 0 && votes['6.12'] === 0) profile = '6.1';
  if (profile === undefined && evidence.length > 0)
    evidence.push('the evidence conflicts: no profile chosen');
  return { profile, evidence };
}
