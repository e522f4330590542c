/**
 * `explain --kernel-src DIR`: the explain source for a user's kernel tree. The tree's
 * page-flags.h and mmflags.h are indexed (src/explain/kernelsrc); conditions are resolved with the
 * given config, else the tree's own .config, else left unevaluated.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { KernelConfig } from '../kernel/profiles/config.js';
import type { ExplainSource } from './explain.js';
import { indexPageFlagsHeader } from './kernelsrc/index.js';
import { readKernelTree } from './kernelsrc/tree.js';

function readConfig(file: string): { config: KernelConfig; name: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`${file}: ${(e as NodeJS.ErrnoException).code ?? 'cannot read'} (give a kernel .config)`);
  }
  return { config: KernelConfig.parse(text, file), name: file };
}

export function treeSource(dir: string, configFile?: string): ExplainSource {
  // the Makefile only names the version; the two headers are all the index needs
  const tree = readKernelTree(dir, existsSync(join(dir, 'Makefile')) ? undefined : basename(dir));
  const header = indexPageFlagsHeader(tree);
  const own = join(dir, '.config');
  const config = configFile ? readConfig(configFile) : existsSync(own) ? readConfig(own) : undefined;
  return { label: tree.source, header, ...(config ? { config } : {}) };
}
