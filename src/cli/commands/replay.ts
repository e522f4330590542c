/**
 * `folioscope replay <trace> --kpagecount F --kpageflags F [--pfns pagemap-pfns.txt]`: drive the
 * model with the trace and compare it with the end-of-trace /proc snapshots (analysis/replay*.ts).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { compareReplay, formatReplay } from '../../analysis/replay-report.js';
import { parsePagemapPfns, readKpageFile, TruthInputError } from '../../analysis/replay-truth.js';
import { replayTrace } from '../../analysis/replay.js';
import type { ProfileName } from '../../kernel/profiles/types.js';
import { detectProfile } from '../../trace/profile-detect.js';
import { parseProfileName, resolveProfileOption } from '../profile-option.js';
import { fail, withTrace } from '../trace-command.js';

interface ReplayOptions {
  config?: string;
  profile?: ProfileName;
  kpagecount: string;
  kpageflags: string;
  pfns?: string;
  json?: boolean;
}

/** kernel.config beside the trace or one directory up (the layout of shared/traces) */
function findConfig(trace: string): string | undefined {
  const d = dirname(trace);
  return [join(d, 'kernel.config'), join(dirname(d), 'kernel.config')].find((p) => existsSync(p));
}

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description(
      'replay a page_ref trace into the model and compare it with /proc/kpagecount and /proc/kpageflags taken at its end',
    )
    .argument('<file>', 'trace file, or - for stdin')
    .requiredOption('--kpagecount <file>', '/proc/kpagecount snapshot (u64 LE per pfn; .gz ok)')
    .requiredOption('--kpageflags <file>', '/proc/kpageflags snapshot (u64 LE per pfn; .gz ok)')
    .option('--pfns <file>', "pagemap-pfns.txt listing the workload's pages (compared separately)")
    .option('--config <file>', 'kernel .config; default: kernel.config beside the trace or one level up')
    .option('--profile <name>', 'kernel profile; default: detected', parseProfileName)
    .option('--json', 'print the report as JSON (schema: src/analysis/replay-report.ts)')
    .action(async (file: string, opts: ReplayOptions) => {
      let truth;
      let workload: number[] | undefined;
      try {
        truth = {
          kpagecount: await readKpageFile(opts.kpagecount),
          kpageflags: await readKpageFile(opts.kpageflags),
        };
        if (opts.pfns)
          workload = parsePagemapPfns(opts.pfns)
            .filter((e) => e.present)
            .map((e) => e.pfn);
      } catch (e) {
        if (!(e instanceof TruthInputError)) throw e;
        process.exitCode = fail('replay', e.message);
        return;
      }
      process.exitCode = await withTrace('replay', file, (r) => {
        const name = opts.profile ?? detectProfile(r.store).profile;
        if (!name) return fail('replay', `cannot detect the kernel profile of ${file}: pass --profile`);
        const config = opts.config ?? (file === '-' ? undefined : findConfig(file));
        const snapshotPages = Math.min(truth.kpagecount.length, truth.kpageflags.length);
        const replay = replayTrace(r, resolveProfileOption(name, config), undefined, snapshotPages);
        const rep = compareReplay(replay, truth, workload);
        process.stdout.write(opts.json ? JSON.stringify(rep, null, 2) + '\n' : formatReplay(rep, 20));
        return 0;
      });
    });
}
