/** `folioscope analyze <file|->`: the summary of a trace, as text or --json. */
import type { Command } from 'commander';
import { formatSummary, summarize } from '../../analysis/summary.js';
import { PROFILE_NAMES } from '../../kernel/profiles/index.js';
import type { ProfileName } from '../../kernel/profiles/types.js';
import { parseProfileName } from '../profile-option.js';
import { readTrace } from '../../trace/reader.js';
import { TraceInputError } from '../../trace/source.js';

export interface AnalyzeOptions {
  json?: boolean;
  profile?: ProfileName;
}

/** Runs the command; returns the exit code (0 ok, 2 bad input). */
export async function runAnalyze(file: string, opts: AnalyzeOptions): Promise<number> {
  const progress = process.stderr.isTTY
    ? (bytes: number) => process.stderr.write(`\rreading ${file}: ${(bytes / 1048576).toFixed(0)} MiB`)
    : undefined;
  try {
    const r = await readTrace(file, { onProgress: progress });
    if (progress) process.stderr.write('\r\x1b[K');
    const summary = summarize(r, opts.profile);
    process.stdout.write(opts.json ? JSON.stringify(summary, null, 2) + '\n' : formatSummary(summary));
    return 0;
  } catch (err) {
    if (!(err instanceof TraceInputError)) throw err;
    process.stderr.write(`folioscope analyze: ${err.message}\n`);
    return 2;
  }
}

export function registerAnalyze(program: Command): void {
  program
    .command('analyze')
    .description(
      'summarise a page_ref trace (ftrace text, trace-cmd report, perf script; .gz or not; - = stdin)',
    )
    .argument('<file>', 'trace file, or - for stdin')
    .option('--json', 'print the summary as JSON')
    .option(
      '--profile <name>',
      `kernel profile (${PROFILE_NAMES.join(', ')}); default: detected`,
      parseProfileName,
    )
    .action(async (file: string, opts: AnalyzeOptions) => {
      process.exitCode = await runAnalyze(file, opts);
    });
}
