/**
 * `folioscope decode dump-page <file|->`: the fields of every dump_page() block in a log.
 *
 * --json (stable): { blocks: [DumpPageBlock with bigints as "0x…" strings], unassigned: [{line, text}],
 * errors: [{line, text, message}] }. Exit code 1 when a line looks like dump_page output but does not
 * follow its format, or when no block is found.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { explainDumpPage, type PageFlagsDecoder } from '../../explain/dumppage-explain.js';
import { parseDumpPage } from '../../explain/dumppage-parse.js';
import { printable } from '../../trace/printable.js';
import { ioErrorText } from '../../trace/source.js';
import { fail } from '../trace-command.js';
import type { DumpPageBlock, DumpPageParseResult } from '../../explain/dumppage-types.js';
import type { ProfileName } from '../../kernel/profiles/types.js';

async function readInput(input: string): Promise<string> {
  if (input !== '-') return readFile(input, 'utf8');
  const chunks: Buffer[] = [];
  for await (const c of process.stdin as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}

const hex = (v: bigint): string => '0x' + v.toString(16);

export function dumpPageJson(r: DumpPageParseResult): string {
  return JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? hex(v) : v), 2) + '\n';
}

function formatBlock(b: DumpPageBlock, decoder?: PageFlagsDecoder): string[] {
  const out = [`block lines ${b.firstLine}-${b.lastLine}, layout ${b.layout}`];
  const field = (name: string, v: unknown): void => {
    if (v !== undefined) out.push(`  ${name.padEnd(10)} ${typeof v === 'bigint' ? hex(v) : String(v)}`);
  };
  field('page', b.pagePointer);
  field('refcount', b.refcount);
  field('mapcount', b.mapcount);
  field('mapping', b.mapping);
  field('index', b.index);
  field('pfn', b.pfn);
  for (const [k, v] of Object.entries(b.extra)) field(k, v);
  if (b.head)
    field(
      'head',
      Object.entries(b.head.values)
        .map(([k, v]) => `${k}=${v}`)
        .join(' '),
    );
  field('memcg', b.memcg);
  for (const m of b.mappingInfo) field('mapping+', m);
  if (b.flags) {
    const f = b.flags;
    field(
      'flags',
      `${hex(f.word)} ${f.prefix ? f.prefix + ' ' : ''}${f.names.join('|') || '-'}${f.cma ? ' CMA' : ''}`,
    );
    field(
      'fields',
      Object.entries(f.fields)
        .map(([k, v]) => `${k}=${k === 'lastcpupid' ? hex(BigInt(v)) : v}`)
        .join(' '),
    );
    if (f.unnamed.length) field('unnamed', f.unnamed.map(hex).join(' '));
  }
  if (b.pageType) field('page_type', `${b.pageType.value.toString(16)} (${b.pageType.name})`);
  if (b.raw.length) field('raw', b.raw.map(hex).join(' '));
  if (b.headRaw.length) field('head raw', b.headRaw.map(hex).join(' '));
  field('reason', b.reason?.text);
  out.push(`  profile    ${b.profileGuess.profile ?? 'unknown'} (${b.profileGuess.evidence.join('; ')})`);
  for (const e of explainDumpPage(b, decoder)) out.push(`  - ${e}`);
  return out;
}

/** The flag decoder for a block's profile; undefined when the profile is unknown. */
export type DecoderFor = (profile: ProfileName | undefined) => PageFlagsDecoder | undefined;

export function formatDumpPage(r: DumpPageParseResult, decoderFor?: DecoderFor): string {
  const out = r.blocks.flatMap((b) => [...formatBlock(b, decoderFor?.(b.profileGuess.profile)), '']);
  for (const u of r.unassigned)
    out.push(`line ${u.line}: not part of a dump_page block: ${printable(u.text)}`);
  return out.join('\n') + (out.length ? '\n' : '');
}

export function registerDecodeDumpPage(decode: Command, decoderFor?: DecoderFor): void {
  decode
    .command('dump-page')
    .description('parse dump_page() reports (dmesg, bug reports) into their fields')
    .argument('<file|->', 'text containing dump_page output, or - for stdin')
    .option('--json', 'machine-readable output')
    .action(async (input: string, o: { json?: boolean }) => {
      let text: string;
      try {
        text = await readInput(input);
      } catch (e) {
        // bad input, not bad usage: no usage text after it (the trace commands' way)
        process.exitCode = fail('decode dump-page', `${input}: ${ioErrorText(e)}`);
        return;
      }
      const r = parseDumpPage(text);
      process.stdout.write(o.json ? dumpPageJson(r) : formatDumpPage(r, decoderFor));
      for (const e of r.errors)
        process.stderr.write(`${input}:${e.line}: ${e.message}: ${printable(e.text)}\n`);
      if (r.errors.length)
        process.exitCode = fail('decode dump-page', `${r.errors.length} malformed line(s)`);
      else if (!r.blocks.length)
        process.exitCode = fail('decode dump-page', `no dump_page block in ${input}`);
    });
}
