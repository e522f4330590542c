/**
 * `folioscope holders <file> [--pfn X [--at TS | --line N]]`: the references outstanding on a
 * page at a moment and who took them; without --pfn, at every failed page_ref_freeze.
 */
import type { Command } from 'commander';
import { holderContext } from '../../analysis/findings.js';
import { freezeFailures, holdersAt } from '../../analysis/holders.js';
import { formatFreezeFailure, formatHolders } from '../../analysis/report.js';
import type { ProfileName } from '../../kernel/profiles/types.js';
import { detectProfile } from '../../trace/profile-detect.js';
import type { TraceReadResult } from '../../trace/reader.js';
import { parseProfileName } from '../profile-option.js';
import { fail, parsePfn, parsePositive, withTrace } from '../trace-command.js';

interface HoldersOptions {
  pfn?: number;
  at?: number;
  line?: number;
  json?: boolean;
  profile?: ProfileName;
}

/** The last event of the pfn at or before the time (seconds) or line; undefined = the end. */
function stopIndex(r: TraceReadResult, pfn: number, opts: HoldersOptions): number | undefined {
  if (opts.at === undefined && opts.line === undefined) return undefined;
  const s = r.store;
  let stop = -1;
  for (const i of s.indicesOf(pfn)) {
    if (opts.at !== undefined && s.timestampNs(i) > Math.round(opts.at * 1e9)) break;
    if (opts.line !== undefined && s.line(i) > opts.line) break;
    stop = i;
  }
  return stop;
}

function run(r: TraceReadResult, file: string, opts: HoldersOptions): number {
  const ctx = holderContext(r, opts.profile ?? detectProfile(r.store).profile);
  if (opts.pfn === undefined) {
    const ff = freezeFailures(ctx);
    if (opts.json) process.stdout.write(JSON.stringify(ff, null, 2) + '\n');
    else {
      const out = [`${file}: ${ff.length} failed page_ref_freeze`];
      for (const x of ff) out.push(...formatFreezeFailure(x));
      process.stdout.write(out.join('\n') + '\n');
    }
    return 0;
  }
  const stop = stopIndex(r, opts.pfn, opts);
  if (stop === -1)
    return fail('holders', `pfn 0x${opts.pfn.toString(16)} has no event at or before that point`);
  const h = holdersAt(ctx, opts.pfn, stop);
  if (!h) return fail('holders', `pfn 0x${opts.pfn.toString(16)} has no events in ${file}`);
  process.stdout.write(opts.json ? JSON.stringify(h, null, 2) + '\n' : formatHolders(h));
  return 0;
}

export function registerHolders(program: Command): void {
  program
    .command('holders')
    .description('outstanding references on a page and who took them (default: at every failed freeze)')
    .argument('<file>', 'trace file, or - for stdin')
    .option('--pfn <pfn>', 'page frame number (0x hex or decimal)', parsePfn)
    .option('--at <seconds>', 'at this timestamp (seconds since boot, as the trace prints it)', parsePositive)
    .option('--line <n>', 'at this line of the trace', parsePositive)
    .option('--json', 'print JSON')
    .option('--profile <name>', 'kernel profile; default: detected', parseProfileName)
    .action(async (file: string, opts: HoldersOptions) => {
      if ((opts.at !== undefined || opts.line !== undefined) && opts.pfn === undefined) {
        process.exitCode = fail('holders', '--at and --line need --pfn');
        return;
      }
      process.exitCode = await withTrace('holders', file, (r) => run(r, file, opts));
    });
}
