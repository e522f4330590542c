/**
 * `folioscope decode kpageflags <file|hex>`: one kpageflags word, or a saved /proc/kpageflags file
 * summarised like tools/mm/page-types (optionally per pfn, with /proc/kpagecount).
 *
 * --json shapes (stable):
 *  value: { kind: 'value', profile, value, symbolic, long, bits: [{bit, name, long?, source}], unknownBits, notes }
 *  file:  { kind: 'file', profile, file, firstPfn, pagesRead, raw, pages?: [{pfn, kpageflags, kpagecount?,
 *           symbolic, long}], summary: [{flags, pages, mb, symbolic, long}], total, unnamedBits: {bit: pages}, notes }
 * Numbers that may exceed 2^53 (flag words, counts read from files) are hex/decimal strings.
 */
import { existsSync } from 'node:fs';
import { Command, Option } from 'commander';
import type { ProfileName } from '../../kernel/profiles/types.js';
import { decodeKpageflags, kpagecountNote } from '../../explain/kpageflags.js';
import { parsePfnRange } from '../../explain/kpage-reader.js';
import { scanKpageflags } from '../../explain/kpageflags-scan.js';
import { formatSummary, pageFlagLongname, pageFlagName } from '../../explain/page-types-format.js';
import { fail } from '../trace-command.js';

export interface DecodeKpageflagsOptions {
  readonly pfn?: string;
  readonly kpagecount?: string;
  readonly profile: ProfileName;
  readonly json?: boolean;
  readonly raw?: boolean;
}

const hex = (v: bigint): string => '0x' + v.toString(16).padStart(16, '0');
const mb = (pages: number): number => Math.floor((pages * 4096) / (1 << 20));

function decodeValue(value: bigint, o: DecodeKpageflagsOptions): string {
  const d = decodeKpageflags(value, o.profile);
  const symbolic = pageFlagName(value, o.profile);
  const long = pageFlagLongname(value, o.profile);
  if (o.json) {
    const out = { kind: 'value', profile: o.profile, value: hex(value), symbolic, long, bits: d.bits };
    return JSON.stringify({ ...out, unknownBits: d.unknownBits, notes: d.notes }, null, 2) + '\n';
  }
  const lines = [`${hex(value)}  (profile ${o.profile})`, `  ${symbolic}  ${long}`];
  for (const b of d.bits)
    lines.push(
      `  ${String(b.bit).padStart(2)}  ${b.name}${b.source === 'page-types' ? ' (page-types pseudo bit)' : ''}`,
    );
  if (d.unknownBits.length) lines.push(`  unknown bits for ${o.profile}: ${d.unknownBits.join(', ')}`);
  for (const n of d.notes) lines.push(`  note: ${n}`);
  return lines.join('\n') + '\n';
}

async function decodeFile(file: string, o: DecodeKpageflagsOptions): Promise<string> {
  const range = o.pfn ? parsePfnRange(o.pfn) : undefined;
  const pages: Array<{ pfn: number; kpageflags: bigint; kpagecount: bigint | undefined }> = [];
  const onPage = range
    ? (pfn: number, k: bigint, c: bigint | undefined) => pages.push({ pfn, kpageflags: k, kpagecount: c })
    : undefined;
  const r = await scanKpageflags(file, {
    profile: o.profile,
    ...(range ? { range } : {}),
    ...(o.kpagecount ? { kpagecount: o.kpagecount } : {}),
    raw: !!o.raw,
    ...(onPage ? { onPage } : {}),
  });
  const notes = o.kpagecount ? [kpagecountNote(o.profile)] : [];
  if (r.pages === 0) notes.push(`no entries in ${file} for the selected pfns`);
  if (r.unnamedBits.size)
    notes.push(
      `bits without a page-types name (not shown in symbolic flags): ${[...r.unnamedBits.keys()].join(', ')}`,
    );
  if (o.json) {
    const rows = r.summary.rows().map(([f, n]) => ({
      flags: hex(f),
      pages: n,
      mb: mb(n),
      symbolic: pageFlagName(f, o.profile),
      long: pageFlagLongname(f, o.profile),
    }));
    const list = pages.map((p) => ({
      pfn: p.pfn,
      kpageflags: hex(p.kpageflags),
      ...(p.kpagecount === undefined ? {} : { kpagecount: p.kpagecount.toString() }),
      symbolic: pageFlagName(p.kpageflags, o.profile),
      long: pageFlagLongname(p.kpageflags, o.profile),
    }));
    const out = {
      kind: 'file',
      profile: o.profile,
      file,
      firstPfn: r.firstPfn,
      pagesRead: r.pages,
      raw: !!o.raw,
      ...(range ? { pages: list } : {}),
    };
    return (
      JSON.stringify(
        {
          ...out,
          summary: rows,
          total: r.summary.total,
          unnamedBits: Object.fromEntries(r.unnamedBits),
          notes,
        },
        null,
        2,
      ) + '\n'
    );
  }
  let s = '';
  if (range) {
    s += `pfn\t${o.kpagecount ? 'kpagecount\t' : ''}kpageflags\tsymbolic-flags\tlong-symbolic-flags\n`;
    for (const p of pages)
      s += `${p.pfn.toString(16)}\t${p.kpagecount === undefined ? '' : `${p.kpagecount}\t`}${hex(p.kpageflags)}\t${pageFlagName(p.kpageflags, o.profile)}\t${pageFlagLongname(p.kpageflags, o.profile)}\n`;
    s += '\n';
  }
  s += formatSummary(r.summary, o.profile);
  for (const n of notes) s += `note: ${n}\n`;
  return s;
}

/** The command's work, separated from commander for tests: returns what goes to stdout. */
export async function runDecodeKpageflags(input: string, o: DecodeKpageflagsOptions): Promise<string> {
  if (!existsSync(input) && /^(0x[0-9a-f]+|\d+)$/i.test(input)) {
    // fs/proc/page.c kpageflags_read(): one u64 per pfn
    const value = BigInt(input);
    if (value >= 1n << 64n) throw new Error(`${input}: wider than a kpageflags word (u64)`);
    return decodeValue(value, o);
  }
  if (!existsSync(input))
    throw new Error(`${input}: no such file, and not a number (give a kpageflags file or a 0x… value)`);
  return decodeFile(input, o);
}

export function registerDecodeKpageflags(decode: Command): void {
  decode
    .command('kpageflags')
    .description(
      'decode a /proc/kpageflags word or summarise a saved kpageflags file like tools/mm/page-types',
    )
    .argument('<file|hex>', 'saved /proc/kpageflags (plain or .gz) or one flags word (0x… or decimal)')
    .option('--pfn <A[-B]>', 'only these pfns (inclusive; decimal or 0x hex); also lists them one per line')
    .option('--kpagecount <file>', 'saved /proc/kpagecount to show per pfn (a mapcount, not a refcount)')
    .addOption(
      new Option('--profile <profile>', 'kernel profile')
        .choices(['6.1', '6.12', 'mainline'])
        .default('6.12'),
    )
    .option('--raw', 'like page-types -r: keep kernel-hacking bits and expand overloaded bits')
    .option('--json', 'machine-readable output')
    .action(async (input: string, o: DecodeKpageflagsOptions) => {
      try {
        process.stdout.write(await runDecodeKpageflags(input, o));
      } catch (e) {
        // a missing or damaged file is bad input, not bad usage: no usage text after it
        process.exitCode = fail('decode kpageflags', (e as Error).message);
      }
    });
}
