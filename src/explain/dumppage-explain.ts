/**
 * Explanation lines for a parsed dump_page() block. The profile-independent part (what each printed
 * count means in the block's mm/debug.c layout) is here; decoding the flags word per kernel profile
 * is delegated to a `PageFlagsDecoder`, which the integrator supplies from a profile.
 */
import type { ProfileName } from '../kernel/profiles/types.js';
import { explainVmBugCondition } from './vm-bug-conditions.js';
import type { DumpPageBlock } from './dumppage-types.js';

/** Profile-dependent flag decoding (extension point; implemented from a kernel profile). */
export interface PageFlagsDecoder {
  readonly profile: ProfileName;
  /** PG_ names %pGp would print for this page->flags word, in print order */
  flagNames(word: bigint): readonly string[];
  /** what a printed flag name means in this profile (aliases, policy), if known */
  explainFlag?(name: string): string | undefined;
}

// What the first line's mapcount is, per layout (mm/debug.c)
const MAPCOUNT: Readonly<Record<DumpPageBlock['layout'], string | undefined>> = {
  '6.1': 'mapcount = page_mapcount(page), forced to 0 for slab pages (6.1 mm/debug.c)',
  '6.12': 'mapcount = raw _mapcount + 1 of this page, 0 for typed pages (6.12 mm/debug.c __dump_folio)',
  poisoned: undefined,
};

export function explainDumpPage(block: DumpPageBlock, decoder?: PageFlagsDecoder): string[] {
  const out: string[] = [];
  if (block.layout === 'poisoned')
    out.push(
      'struct page is still PAGE_POISON_PATTERN: never initialised (or freed memmap) (mm/debug.c PagePoisoned)',
    );
  const mc = MAPCOUNT[block.layout];
  if (mc && block.mapcount !== undefined) out.push(`${mc}: ${block.mapcount}`);
  if (block.layout === '6.12' && block.refcount !== undefined)
    out.push(`refcount = folio_ref_count(folio), the head page's count (6.12 mm/debug.c): ${block.refcount}`);
  if (block.layout === '6.1' && block.refcount !== undefined)
    out.push(`refcount = page_ref_count(head) (6.1 mm/debug.c): ${block.refcount}`);
  if (block.doesNotMatchFolio)
    out.push(
      'the page changed while being dumped 5 times; it is shown as a single page (6.12 mm/debug.c __dump_page)',
    );
  if (block.pageType)
    out.push(`page_type ${block.pageType.value.toString(16)}: the folio is typed "${block.pageType.name}"`);
  if (block.reason?.macro)
    out.push(
      `${block.reason.macro} fired: the condition "${block.reason.condition}" was true (include/linux/mmdebug.h)`,
    );
  const meaning = block.reason?.condition ? explainVmBugCondition(block.reason.condition) : undefined;
  if (meaning) out.push(`which means: ${meaning}`);
  if (block.flags && decoder) out.push(...explainFlags(block.flags.word, block.flags.names, decoder));
  return out;
}

function explainFlags(word: bigint, printed: readonly string[], d: PageFlagsDecoder): string[] {
  const out: string[] = [];
  const expected = d.flagNames(word);
  if (expected.join('|') !== printed.join('|'))
    out.push(
      `profile ${d.profile} would print "${expected.join('|')}" for this word, the report has "${printed.join('|')}"`,
    );
  for (const n of printed) {
    const e = d.explainFlag?.(n);
    if (e) out.push(`${n}: ${e}`);
  }
  return out;
}
