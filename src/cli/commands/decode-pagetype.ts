/**
 * `folioscope decode page-type <value> [--profile P] [--json]` and `folioscope decode mapcount <n>
 * [--profile P] [--json]` (the `mapcount=` of a page_ref event). --json prints DecodedPageType /
 * DecodedTraceMapcount (src/explain/decode-pagetype.ts) as is.
 */
import type { Command } from 'commander';
import { decodePageType, decodeTraceMapcount, parsePageTypeWord } from '../../explain/decode-pagetype.js';
import type { ProfileName } from '../../kernel/profiles/types.js';
import { parseProfileName, resolveProfileOption } from '../profile-option.js';

interface Options {
  readonly profile: ProfileName;
  readonly config?: string;
  readonly json?: boolean;
}

export function runDecodePageType(input: string, o: Options): string {
  const d = decodePageType(resolveProfileOption(o.profile, o.config), parsePageTypeWord(input));
  if (o.json) return JSON.stringify(d, null, 2) + '\n';
  return `${d.word} = ${d.signed}  (profile ${d.profile})\n  ${d.text}\n`;
}

export function runDecodeMapcount(input: string, o: Options): string {
  if (!/^-?\d+$/.test(input.trim()))
    throw new Error(`"${input}": not a mapcount (a decimal int, e.g. -184549376)`);
  const d = decodeTraceMapcount(resolveProfileOption(o.profile, o.config), parsePageTypeWord(input));
  if (o.json) return JSON.stringify(d, null, 2) + '\n';
  const lines = [
    `mapcount=${d.value}  (profile ${d.profile}: the trace records ${d.field === 'raw' ? 'the raw _mapcount' : 'page_mapcount()'})`,
  ];
  lines.push(
    `  ${d.text}`,
    `  page_type/_mapcount word ${d.pageType.word}`,
    ...d.notes.map((n) => `  note: ${n}`),
  );
  return lines.join('\n') + '\n';
}

function register(
  decode: Command,
  name: string,
  arg: string,
  what: string,
  run: (i: string, o: Options) => string,
): void {
  decode
    .command(name)
    .description(what)
    .argument(arg)
    .option('--profile <profile>', 'kernel profile: 6.1, 6.12, mainline', parseProfileName, '6.12')
    .option('--config <file>', "kernel .config to resolve the profile with (default: Debian's amd64)")
    .option('--json', 'machine-readable output')
    .action(function (this: Command, input: string, o: Options) {
      try {
        process.stdout.write(run(input, o));
      } catch (e) {
        this.error(`folioscope decode ${name}: ${(e as Error).message}`, { exitCode: 2 });
      }
    });
}

export function registerDecodePageType(decode: Command): void {
  register(
    decode,
    'page-type',
    '<value>',
    'decode a page_type word (0x… or signed decimal) per profile encoding',
    runDecodePageType,
  );
  register(
    decode,
    'mapcount',
    '<n>',
    "explain a page_ref event's mapcount= value per profile",
    runDecodeMapcount,
  );
}
