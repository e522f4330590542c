/**
 * `folioscope decode flags <hex> [--profile P] [--config FILE] [--second-page] [--json]`.
 * --json prints DecodedFlags (src/explain/decode-flags.ts) as is.
 */
import type { Command } from 'commander';
import { decodeFlags, parseFlagsWord, type DecodedFlags } from '../../explain/decode-flags.js';
import type { ProfileName } from '../../kernel/profiles/types.js';
import { parseProfileName, resolveProfileOption } from '../profile-option.js';

interface Options {
  readonly profile: ProfileName;
  readonly config?: string;
  readonly secondPage?: boolean;
  readonly anon?: boolean;
  readonly file?: boolean;
  readonly json?: boolean;
}

function formatText(d: DecodedFlags): string {
  const lines = [
    `${d.word}  (profile ${d.profile}, config ${d.config}${d.secondPage ? ", a folio's page[1]" : ''})`,
  ];
  lines.push(`  %pGp             ${d.pGp}`, `  show_page_flags  ${d.showPageFlags}`);
  if (d.folioOrder !== undefined)
    lines.push(`  folio order      ${d.folioOrder} (low byte of page[1].flags)`);
  for (const b of d.bits) {
    const others = b.names.filter((n) => n !== b.member && n !== b.meaning).map((n) => `PG_${n}`);
    const meaning = b.meaning && b.meaning !== b.member ? ` = PG_${b.meaning}` : '';
    const also = others.length ? `  (also ${others.join(', ')})` : '';
    lines.push(`  bit ${String(b.bit).padStart(2)}  PG_${b.member}${meaning}${also}`);
    if (b.note) lines.push(`          ${b.note}`);
  }
  for (const f of d.fields) {
    const value = f.name === 'lastcpupid' ? `0x${f.value.toString(16)}` : String(f.value);
    const what = f.text === String(f.value) ? '' : ` (${f.text})`;
    lines.push(`  ${`${f.name} (bits ${f.shift}-${f.shift + f.width - 1})`.padEnd(26)} ${value}${what}`);
  }
  if (d.unusedBits.length) lines.push(`  bits set outside every field: ${d.unusedBits.join(', ')}`);
  return lines.join('\n') + '\n';
}

export function runDecodeFlags(input: string, o: Options): string {
  const profile = resolveProfileOption(o.profile, o.config);
  if (o.anon && o.file) throw new Error('--anon and --file exclude each other');
  const kind = o.anon ? 'anon' : o.file ? 'file' : undefined;
  const d = decodeFlags(profile, parseFlagsWord(input), { secondPage: !!o.secondPage, kind });
  return o.json ? JSON.stringify(d, null, 2) + '\n' : formatText(d);
}

export function registerDecodeFlags(decode: Command): void {
  decode
    .command('flags')
    .description(
      'decode a page->flags word: PG_ bits with aliases, node/zone/lastcpupid, %pGp and show_page_flags',
    )
    .argument('<hex>', 'the flags word (0x… or bare hex, as dump_page prints it)')
    .option('--profile <profile>', 'kernel profile: 6.1, 6.12, mainline', parseProfileName, '6.12')
    .option('--config <file>', "kernel .config to resolve the profile with (default: Debian's amd64)")
    .option('--second-page', "the word is a large folio's page[1] (order, second-page flags)")
    .option(
      '--anon',
      'the page is anonymous (dump_page printed "anon flags:"): owner_2/mappedtodisk is PG_anon_exclusive',
    )
    .option('--file', 'the page is a file page: owner_2/mappedtodisk is PG_mappedtodisk')
    .option('--json', 'machine-readable output')
    .action(function (this: Command, input: string, o: Options) {
      try {
        process.stdout.write(runDecodeFlags(input, o));
      } catch (e) {
        this.error(`folioscope decode flags: ${(e as Error).message}`, { exitCode: 2 });
      }
    });
}
