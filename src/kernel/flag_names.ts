/**
 * Printing a flags word the two ways the kernel does:
 *  - show_page_flags() in trace output (include/trace/events/mmflags.h, __print_flags ->
 *    trace_print_flags_seq() in kernel/trace/trace_output.c): `flags & PAGEFLAGS_MASK`, names in
 *    table order joined by '|', leftover bits as `0x%lx`, "none" for 0;
 *  - %pGp in dump_page() (lib/vsprintf.c format_page_flags): `%#lx(` + the same names + the
 *    section/node/zone/lastcpupid/kasantag fields + `)`.
 * Identical in 6.1 and 6.12; the name table comes from the profile.
 */
import type { Profile } from './profiles/index.js';

/** PAGEFLAGS_MASK = (1UL << NR_PAGEFLAGS) - 1, as a u32 (NR_PAGEFLAGS < 32 on every profile) */
export function pageflagsMask(p: Profile): number {
  return p.nrPageflags >= 32 ? 0xffffffff : ((1 << p.nrPageflags) >>> 0) - 1;
}

/** trace_print_flags_seq(p, "|", flags, __def_pageflag_names) for the low word */
function printFlagsSeq(p: Profile, flags: number): string {
  let out = '';
  let rest = flags >>> 0;
  for (const { name, mask } of p.flagNames) {
    if (rest === 0) break;
    if ((rest & mask) >>> 0 !== mask) continue;
    rest = (rest & ~mask) >>> 0;
    out += out ? `|${name}` : name;
  }
  if (rest !== 0) out += `${out ? '|' : ''}0x${rest.toString(16)}`;
  return out;
}

const shown = new WeakMap<Profile, Map<number, string>>();

/** show_page_flags(flags & PAGEFLAGS_MASK): the `flags=` field of a page_ref event (memoised per word) */
export function show_page_flags(p: Profile, flagsLo: number): string {
  const masked = (flagsLo & pageflagsMask(p)) >>> 0;
  let cache = shown.get(p);
  if (!cache) shown.set(p, (cache = new Map()));
  let s = cache.get(masked);
  if (s === undefined) {
    s = masked ? printFlagsSeq(p, masked) : 'none';
    if (cache.size < 65536) cache.set(masked, s);
  }
  return s;
}

/** format_page_flags(): the %pGp conversion, e.g. `0x17ffffc0020028(uptodate|lru|...|node=0|zone=2|...)` */
export function format_page_flags(p: Profile, flags: bigint): string {
  const main = Number(flags & BigInt(pageflagsMask(p)));
  const parts: string[] = [];
  if (main) parts.push(printFlagsSeq(p, main));
  for (const f of p.layout.fields) {
    if (f.name === 'lru_gen' || f.name === 'lru_refs') continue; // not in pff[] (lib/vsprintf.c)
    const v = Number((flags >> BigInt(f.shift)) & ((1n << BigInt(f.width)) - 1n));
    // section/node/zone: default_dec_spec; lastcpupid/kasantag: default_flag_spec (0x%x)
    const text = f.name === 'lastcpupid' || f.name === 'kasantag' ? `0x${v.toString(16)}` : String(v);
    parts.push(`${f.name}=${text}`);
  }
  return `0x${flags.toString(16)}(${parts.join('|')})`;
}

/**
 * Parses a `flags=` text back into the low flags word using the profile's name table. Returns
 * undefined for names the profile does not print.
 */
export function parse_page_flags(p: Profile, text: string): number | undefined {
  if (text === 'none') return 0;
  let v = 0;
  for (const part of text.split('|')) {
    if (part.startsWith('0x')) {
      v |= Number.parseInt(part, 16);
      continue;
    }
    const e = p.flagNames.find((f) => f.name === part);
    if (!e) return undefined;
    v |= e.mask;
  }
  return v >>> 0;
}
