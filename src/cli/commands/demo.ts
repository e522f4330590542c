import type { Command } from 'commander';
import { formatDemo, runForkCowDemo } from '../../scenario/demo.js';
import type { ProfileName } from '../../kernel/profiles/types.js';
import { profileOptions, resolveProfileOption } from '../profile-option.js';

export function registerDemo(program: Command): void {
  profileOptions(
    program
      .command('demo')
      .description(
        "walk seed 002's fork/COW story on the model: trace lines, page state and the kernel's reasons",
      ),
  )
    .option('--json', 'print the steps as JSON')
    .action((opts: { profile: ProfileName; config?: string; json?: boolean }) => {
      const result = runForkCowDemo(resolveProfileOption(opts.profile, opts.config));
      process.stdout.write(opts.json ? `${JSON.stringify(result, null, 2)}\n` : `${formatDemo(result)}\n`);
    });
}
