/**
 * dump_page() (mm/debug.c): the text a kernel prints for a page, per profile layout.
 *  6.1:  page:%p refcount mapcount mapping index pfn / head:%p order compound_mapcount
 *        compound_pincount / [ksm |anon ]flags: %pGp / raw: x2 / head: x2 (if a tail)
 *  6.12: page: refcount mapcount mapping index pfn / head: order mapcount entire_mapcount
 *        nr_pages_mapped pincount / flags: %pGp of the folio / page_type: %x(%s) / raw: x2 /
 *        head: x4 (if large)
 * then "page dumped because: <reason>". Kernel pointers are the model's stand-ins: struct page
 * addresses in the x86_64 vmemmap (0xffffea0000000000 + pfn * 64), mappings in the direct map.
 */
import type { Kernel } from './kernel.js';
import type { Pfn } from './mem_map.js';
import { format_page_flags } from './flag_names.js';
import {
  PageAnon,
  PageCompound,
  TAIL_MAPPING_ID,
  compound_head,
  folio_entire_mapcount,
  folio_mapcount,
  folio_nr_pages,
  folio_order,
  folio_test_large,
  page_folio,
  page_mapcount,
} from './folio.js';
import { page_has_type, page_mapcount_is_type } from './page_type.js';
import { hashedPointer } from './trace_format.js';

/** x86_64 VMEMMAP_START without KASLR (arch/x86/include/asm/pgtable_64_types.h) */
const VMEMMAP_START = 0xffffea0000000000n;
/** POISON_POINTER_DELTA = CONFIG_ILLEGAL_POINTER_VALUE on x86_64 (include/linux/poison.h) */
const POISON_POINTER_DELTA = 0xdead000000000000n;
const LIST_POISON1 = POISON_POINTER_DELTA + 0x100n;
const LIST_POISON2 = POISON_POINTER_DELTA + 0x122n;
/** the model's stand-in for the direct map where mappings (anon_vma, address_space) live */
const MAPPING_BASE = 0xffff888100000000n;

export function pageAddress(pfn: Pfn): bigint {
  return VMEMMAP_START + BigInt(pfn) * 64n;
}

function mappingAddress(id: number): bigint {
  if (id === 0) return 0n;
  if (id === TAIL_MAPPING_ID) return POISON_POINTER_DELTA + 0x400n;
  return (MAPPING_BASE + BigInt(id & ~3) * 0x10n) | BigInt(id & 3);
}

const hex16 = (v: bigint) => BigInt.asUintN(64, v).toString(16).padStart(16, '0');
const u32 = (v: number) => BigInt(v >>> 0);

/** The eight words of struct page as the model can reconstruct them. */
export function structPageWords(k: Kernel, pfn: Pfn): bigint[] {
  const m = k.mem;
  const w = new Array<bigint>(8).fill(0n);
  w[0] = m.flags(pfn);
  const tail = (m.compoundHead[pfn] & 1) !== 0;
  const head = compound_head(k, pfn);
  const second = tail && pfn === head + 1;
  w[1] = tail
    ? pageAddress(head) + 1n
    : m.lruNext[pfn] >= 0
      ? pageAddress(m.lruNext[pfn]) + 8n
      : LIST_POISON1;
  if (second && k.profile.facts.folioLayout === 'folio_v6_12') {
    // struct folio page[1]: _large_mapcount @+16, _entire_mapcount @+20, _nr_pages_mapped @+24,
    // _pincount @+28, _folio_nr_pages @+32 (6.12 include/linux/mm_types.h)
    w[2] = (u32(m.entireMapcount[pfn]) << 32n) | u32(m.largeMapcount[pfn]);
    w[3] = (u32(m.pincount[pfn]) << 32n) | u32(m.nrPagesMapped[pfn]);
    w[4] = BigInt(folio_nr_pages(k, head));
  } else if (second) {
    // 6.1 page[1]: compound_dtor @+16, compound_order @+17, compound_mapcount @+20,
    // compound_pincount @+24, compound_nr @+28
    w[2] = (u32(m.entireMapcount[pfn]) << 32n) | BigInt((m.order[pfn] << 8) | m.dtor[pfn]);
    w[3] = (BigInt(folio_nr_pages(k, head)) << 32n) | u32(m.pincount[pfn]);
  } else {
    w[2] = tail ? 0n : m.lruPrev[pfn] >= 0 ? pageAddress(m.lruPrev[pfn]) + 8n : LIST_POISON2;
    w[3] = mappingAddress(m.mapping[pfn]);
    w[4] = BigInt(m.index[pfn]);
    w[5] = BigInt(m.private_[pfn]);
  }
  w[6] = (u32(m.refcount[pfn]) << 32n) | u32(m.mapcount[pfn]);
  return w;
}

/** print_hex_dump(KERN_WARNING, prefix, DUMP_PREFIX_NONE, 32, 8, ...) of struct page(s) */
function hexDump(prefix: string, words: bigint[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < words.length; i += 4)
    out.push(
      `${prefix}${words
        .slice(i, i + 4)
        .map(hex16)
        .join(' ')}`,
    );
  return out;
}

/** page_mapping()/folio_mapping(): NULL for anon, the address_space otherwise */
function pageMapping(k: Kernel, folio: Pfn): number {
  const id = k.mem.mapping[folio];
  return (id & k.profile.facts.mappingFlags.anon) !== 0 ? 0 : id & ~3;
}

/** dump_mapping() (fs/inode.c): the model knows file names only through k.mappingNames */
function dumpMapping(k: Kernel, mapping: number): string[] {
  const info = k.mappingInfo.get(mapping);
  if (!info) return ['aops:0x0'];
  return [`aops:${info.aops} ino:${info.ino.toString(16)} dentry name(?):"${info.name}"`];
}

function flagsPrefix(k: Kernel, page: Pfn, folio: Pfn): string {
  const ksm = k.profile.facts.mappingFlags.ksm;
  if ((k.mem.mapping[folio] & 3) === ksm) return 'ksm ';
  return PageAnon(k, page) ? 'anon ' : '';
}

/** __dump_page() + "page dumped because:" as dump_page(page, reason) prints it. */
export function dump_page(k: Kernel, page: Pfn, reason?: string): string {
  k.mem.check('dump_page', page);
  const lines = k.profile.facts.dumpPageLayout === '6.1' ? dump_page_v6_1(k, page) : dump_page_v6_12(k, page);
  if (reason) lines.push(`page dumped because: ${reason}`);
  return lines.join('\n');
}

function dump_page_v6_1(k: Kernel, page: Pfn): string[] {
  const m = k.mem;
  const head = page_folio(k, page);
  const compound = PageCompound(k, page);
  const slabBit = k.profile.bits.get('slab');
  const slab = slabBit !== undefined && (m.flagsLo[head] & (1 << slabBit)) !== 0;
  const mapcount = slab ? 0 : page_mapcount(k, page);
  const mapping = pageMapping(k, head);
  // page_to_pgoff(): head->index + (page - head) for compound pages
  const index = m.index[head] + (page - head);
  const lines = [
    `page:${hashedPointer(page * 64 + 1)} refcount:${m.refcount[head]} mapcount:${mapcount} ` +
      `mapping:${hashedPointer(mapping)} index:0x${index.toString(16)} pfn:0x${page.toString(16)}`,
  ];
  if (compound) {
    lines.push(
      `head:${hashedPointer(head * 64 + 1)} order:${folio_order(k, head)} ` +
        `compound_mapcount:${folio_entire_mapcount(k, head)} compound_pincount:${m.pincount[head + 1]}`,
    );
  }
  const prefix = flagsPrefix(k, page, head);
  if (!prefix && mapping) lines.push(...dumpMapping(k, mapping));
  lines.push(`${prefix}flags: ${format_page_flags(k.profile, m.flags(head))}`);
  lines.push(...hexDump('raw: ', structPageWords(k, page)));
  if (head !== page) lines.push(...hexDump('head: ', structPageWords(k, head)));
  return lines;
}

function dump_page_v6_12(k: Kernel, page: Pfn): string[] {
  const m = k.mem;
  const folio = page_folio(k, page);
  const idx = page - folio;
  const raw = m.mapcount[page];
  const mapcount = page_mapcount_is_type(raw) ? 0 : raw + 1;
  const mapping = pageMapping(k, folio);
  const lines = [
    `page: refcount:${m.refcount[folio]} mapcount:${mapcount} mapping:${hashedPointer(mapping)} ` +
      `index:0x${(m.index[folio] + idx).toString(16)} pfn:0x${page.toString(16)}`,
  ];
  const large = folio_test_large(k, folio);
  if (large) {
    const entirely = k.profile.facts.entirelyMapped ?? 0;
    // folio_nr_pages_mapped() = _nr_pages_mapped & FOLIO_PAGES_MAPPED (mm/internal.h)
    const nrMapped = m.nrPagesMapped[folio + 1] & (entirely - 1);
    lines.push(
      `head: order:${folio_order(k, folio)} mapcount:${folio_mapcount(k, folio)} ` +
        `entire_mapcount:${folio_entire_mapcount(k, folio)} nr_pages_mapped:${nrMapped} ` +
        `pincount:${m.pincount[folio + 1]}`,
    );
  }
  const prefix = flagsPrefix(k, page, folio);
  if (!prefix && mapping) lines.push(...dumpMapping(k, mapping));
  lines.push(`${prefix}flags: ${format_page_flags(k.profile, m.flags(folio))}`);
  if (page_has_type(k, folio)) {
    const top = (m.mapcount[folio] >>> 24) & 0xff;
    lines.push(`page_type: ${top.toString(16)}(${page_type_names_v6_12(k, top)})`);
  }
  lines.push(...hexDump('raw: ', structPageWords(k, page)));
  if (large)
    lines.push(...hexDump('head: ', [...structPageWords(k, folio), ...structPageWords(k, folio + 1)]));
  return lines;
}

/**
 * page_type_name() (6.12 mm/debug.c): page_type_names[top - 0xf0] with designated entries for
 * slab, hugetlb, offline, guard, table, buddy, unaccepted; zsmalloc has no entry and prints
 * "(null)"; beyond the array "unknown".
 */
function page_type_names_v6_12(k: Kernel, top: number): string {
  const named = ['slab', 'hugetlb', 'offline', 'guard', 'table', 'buddy', 'unaccepted'];
  let size = 0;
  for (const n of named) {
    const v = k.profile.pageTypes.get(n);
    if (v !== undefined) size = Math.max(size, v - 0xf0 + 1);
  }
  const i = top - 0xf0;
  if (i < 0 || i >= size) return 'unknown';
  for (const n of named) if (k.profile.pageTypes.get(n) === top) return n;
  return '(null)';
}
