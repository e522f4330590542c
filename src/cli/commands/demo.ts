import type { Command } from 'commander';
import { formatDemo, runForkCowDemo } from '../../scenario/demo.js';
import type { ProfileName } from '../../kernel/profiles/types.js';
import { parseProfileName, resolveProfileOption } from '../profile-option.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      "walk seed 002's fork/COW story on the model: trace lines, page state and the kernel's reasons",
    )
    .option(
      '-p, --profile <name>',
      'kernel profile: 6.1, 6.12 or mainline',
      parseProfileName,
      '6.12' as ProfileName,
    )
    .option('--config <file>', 'resolve the profile with this kernel .config instead of Debian amd64')
    .option('--json', 'print the steps as JSON')
    .action((opts: { profile: ProfileName; config?: string; json?: boolean }) => {
      const result = runForkCowDemo(resolveProfileOption(opts.profile, opts.config));
      process.stdout.write(opts.json ? `${JSON.stringify(result, null, 2)}\n` : `${formatDemo(result)}\n`);
    });
}
