/** `folioscope analyze <file|->`: the summary of a trace and the findings, as text or --json. */
import { type Command, InvalidArgumentError } from 'commander';
import { analyzeTrace, findingsJson, type Findings } from '../../analysis/findings.js';
import { formatFindings } from '../../analysis/report.js';
import { formatSummary } from '../../analysis/summary.js';
import { PROFILE_NAMES } from '../../kernel/profiles/index.js';
import type { ProfileName } from '../../kernel/profiles/types.js';
import { parseProfileName } from '../profile-option.js';
import { withTrace } from '../trace-command.js';

const FAIL_ON = ['inconsistencies', 'freeze-failures', 'leaks'] as const;
type FailOn = (typeof FAIL_ON)[number];

export interface AnalyzeOptions {
  json?: boolean;
  profile?: ProfileName;
  failOn?: FailOn[];
}

function parseFailOn(text: string, prev: FailOn[] = []): FailOn[] {
  const out = [...prev];
  for (const w of text.split(',')) {
    if (!(FAIL_ON as readonly string[]).includes(w))
      throw new InvalidArgumentError(`expected ${FAIL_ON.join(', ')} (comma-separated), got "${w}"`);
    out.push(w as FailOn);
  }
  return out;
}

/** 1 when a finding the caller asked to fail on is present. */
export function failExitCode(f: Findings, failOn: readonly FailOn[]): number {
  const hit = {
    inconsistencies: f.consistency.inconsistencies.some((x) => x.severity === 'finding'),
    'freeze-failures': f.freezeFailures.length > 0,
    leaks: f.leaks.length > 0,
  };
  return failOn.some((w) => hit[w]) ? 1 : 0;
}

/** Runs the command; returns the exit code (0 ok, 1 findings asked for by --fail-on, 2 bad input). */
export async function runAnalyze(file: string, opts: AnalyzeOptions): Promise<number> {
  return withTrace('analyze', file, (r) => {
    const f = analyzeTrace(r, opts.profile);
    process.stdout.write(
      opts.json
        ? JSON.stringify(findingsJson(f), null, 2) + '\n'
        : formatSummary(f.summary) + formatFindings(f),
    );
    return failExitCode(f, opts.failOn ?? []);
  });
}

export function registerAnalyze(program: Command): void {
  program
    .command('analyze')
    .description(
      'summarise a page_ref trace and report inconsistencies, failed freezes and their holders, leaks (ftrace text, trace-cmd report, perf script; .gz or not; - = stdin)',
    )
    .argument('<file>', 'trace file, or - for stdin')
    .option('--json', 'print the summary and findings as JSON (schema: src/analysis/findings.ts)')
    .option(
      '--profile <name>',
      `kernel profile (${PROFILE_NAMES.join(', ')}); default: detected`,
      parseProfileName,
    )
    .option('--fail-on <what>', `exit 1 when there are ${FAIL_ON.join('|')} (repeatable)`, parseFailOn)
    .action(async (file: string, opts: AnalyzeOptions) => {
      process.exitCode = await runAnalyze(file, opts);
    });
}
