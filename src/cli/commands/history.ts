/** `folioscope history --pfn X <file>`: one page's timeline with stacks and markers. */
import type { Command } from 'commander';
import { formatHistory, pageHistory } from '../../analysis/history.js';
import type { ProfileName } from '../../kernel/profiles/types.js';
import { detectProfile } from '../../trace/profile-detect.js';
import { parseProfileName, resolveProfileOption } from '../profile-option.js';
import { fail, parsePfn, withTrace } from '../trace-command.js';

interface HistoryOptions {
  pfn: number;
  json?: boolean;
  profile?: ProfileName;
  config?: string;
}

export function registerHistory(program: Command): void {
  program
    .command('history')
    .description("a page's full timeline: events, counts, mapcount meaning, flags, stacks, markers")
    .argument('<file>', 'trace file, or - for stdin')
    .requiredOption('--pfn <pfn>', 'page frame number (0x hex or decimal)', parsePfn)
    .option('--json', 'print the timeline as JSON')
    .option('--profile <name>', 'kernel profile; default: detected', parseProfileName)
    .option(
      '--config <file>',
      "the traced kernel's .config, to decode hex flags (trace-cmd/perf) with its bit numbers (default: Debian's)",
    )
    .action(async (file: string, opts: HistoryOptions) => {
      process.exitCode = await withTrace('history', file, (r) => {
        const profile = opts.profile ?? detectProfile(r.store).profile;
        const flagsProfile = profile ? resolveProfileOption(profile, opts.config) : undefined;
        const h = pageHistory(r, opts.pfn, profile, flagsProfile);
        if (flagsProfile && h.some((e) => e.kind === 'event' && e.flagsDecoded)) {
          process.stderr.write(
            `history: hex flags decoded with profile ${flagsProfile.name} (${flagsProfile.configName}); ` +
              "pass --config with the traced kernel's .config if its bit numbers differ\n",
          );
        }
        if (h.length === 0) return fail('history', `pfn 0x${opts.pfn.toString(16)} has no events in ${file}`);
        process.stdout.write(
          opts.json ? JSON.stringify(h, null, 2) + '\n' : formatHistory(h, opts.pfn, file),
        );
        return 0;
      });
    });
}
