/** `folioscope check <file>`: running-count consistency and anomalies per page (consistency.ts). */
import type { Command } from 'commander';
import { checkConsistency } from '../../analysis/consistency.js';
import { formatConsistency } from '../../analysis/report.js';
import type { ProfileName } from '../../kernel/profiles/types.js';
import { detectProfile } from '../../trace/profile-detect.js';
import { parseProfileName } from '../profile-option.js';
import { withTrace } from '../trace-command.js';

interface CheckOptions {
  json?: boolean;
  profile?: ProfileName;
}

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description(
      'check every event count against the running count per page; exit 1 on findings (count changes no event, gap or race explains), 0 when the only mismatches are informational (tracing gaps, lost events, reordering), 2 on unreadable input',
    )
    .argument('<file>', 'trace file, or - for stdin')
    .option('--json', 'print the report as JSON')
    .option('--profile <name>', 'kernel profile; default: detected', parseProfileName)
    .action(async (file: string, opts: CheckOptions) => {
      process.exitCode = await withTrace('check', file, (r) => {
        const c = checkConsistency(r, opts.profile ?? detectProfile(r.store).profile);
        process.stdout.write(opts.json ? JSON.stringify(c, null, 2) + '\n' : formatConsistency(c, file));
        return c.inconsistencies.some((x) => x.severity === 'finding') ? 1 : 0;
      });
    });
}
