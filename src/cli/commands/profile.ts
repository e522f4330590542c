/**
 * `folioscope profile --from-kernel-src DIR [--out FILE] [--name IDENT] [--source TEXT]`: indexes DIR's
 * include/linux/page-flags.h and include/trace/events/mmflags.h and prints (or writes) the
 * generated profile module. The integrator wires registerProfile() into src/cli/main.ts.
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { readKernelTree, renderTreeProfile } from '../../explain/kernelsrc/tree.js';

export function registerProfile(program: Command): void {
  program
    .command('profile')
    .description('generate a page-flags profile module from a kernel source tree')
    .requiredOption('--from-kernel-src <dir>', 'kernel source tree (needs Makefile and the two headers)')
    .option('--out <file>', 'write the module to FILE instead of stdout')
    .option('--name <ident>', 'exported constant name', 'profile')
    .option('--source <text>', "what the tree is (default: '<dir name> <version from Makefile>')")
    .action((opts: { fromKernelSrc: string; out?: string; name: string; source?: string }) => {
      const source = opts.source ?? readKernelTree(opts.fromKernelSrc).source;
      const text = renderTreeProfile(opts.fromKernelSrc, source, opts.name);
      if (opts.out) {
        writeFileSync(opts.out, text);
        process.stderr.write(`wrote ${opts.out}\n`);
      } else process.stdout.write(text);
    });
}
