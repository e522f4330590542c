/**
 * `folioscope profile --from-kernel-src DIR [--out FILE] [--name IDENT]`: indexes DIR's
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
    .action((opts: { fromKernelSrc: string; out?: string; name: string }) => {
      const { source } = readKernelTree(opts.fromKernelSrc);
      const text = renderTreeProfile(opts.fromKernelSrc, source, opts.name);
      if (opts.out) {
        writeFileSync(opts.out, text);
        process.stderr.write(`wrote ${opts.out}\n`);
      } else process.stdout.write(text);
    });
}
