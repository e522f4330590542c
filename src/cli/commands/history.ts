/** `folioscope history --pfn X <file>`: one page's timeline with stacks and markers. */
import type { Command } from 'commander';
import { formatHistory, pageHistory } from '../../analysis/history.js';
import type { ProfileName } from '../../kernel/profiles/types.js';
import { detectProfile } from '../../trace/profile-detect.js';
import { parseProfileName } from '../profile-option.js';
import { fail, parsePfn, withTrace } from '../trace-command.js';

interface HistoryOptions {
  pfn: number;
  json?: boolean;
  profile?: ProfileName;
}

export function registerHistory(program: Command): void {
  program
    .command('history')
    .description("a page's full timeline: events, counts, mapcount meaning, flags, stacks, markers")
    .argument('<file>', 'trace file, or - for stdin')
    .requiredOption('--pfn <pfn>', 'page frame number (0x hex or decimal)', parsePfn)
    .option('--json', 'print the timeline as JSON')
    .option('--profile <name>', 'kernel profile; default: detected', parseProfileName)
    .action(async (file: string, opts: HistoryOptions) => {
      process.exitCode = await withTrace('history', file, (r) => {
        const h = pageHistory(r, opts.pfn, opts.profile ?? detectProfile(r.store).profile);
        if (h.length === 0) return fail('history', `pfn 0x${opts.pfn.toString(16)} has no events in ${file}`);
        process.stdout.write(
          opts.json ? JSON.stringify(h, null, 2) + '\n' : formatHistory(h, opts.pfn, file),
        );
        return 0;
      });
    });
}
