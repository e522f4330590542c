/**
 * Reading the two headers the indexer needs from a kernel tree on disk or from Debian's
 * linux-source-X.Y tarball (/usr/src/linux-source-X.Y.tar.xz, top directory linux-source-X.Y/).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { generateProfileModule } from './generate.js';
import { indexPageFlagsHeader, MMFLAGS_H, PAGE_FLAGS_H, type HeaderSources } from './index.js';
import { MAINLINE_EDITS, indexMainlineHeader } from './mainline.js';

/** `6.12.117` from the top-level Makefile's VERSION / PATCHLEVEL / SUBLEVEL. */
export function kernelVersion(makefile: string, file = 'Makefile'): string {
  const field = (name: string): string => {
    const m = new RegExp(`^${name}\\s*=\\s*(\\d+)`, 'm').exec(makefile);
    if (!m) throw new Error(`${file}: no ${name} = <number> line`);
    return m[1];
  };
  return `${field('VERSION')}.${field('PATCHLEVEL')}.${field('SUBLEVEL')}`;
}

/** The headers of a kernel source directory; `source` defaults to '<dir name> <version>'. */
export function readKernelTree(dir: string, source?: string): HeaderSources {
  const read = (rel: string): string => {
    try {
      return readFileSync(join(dir, rel), 'utf8');
    } catch (err) {
      throw new Error(`${join(dir, rel)}: ${(err as Error).message} (is ${dir} a kernel source tree?)`);
    }
  };
  return {
    pageFlagsH: read(PAGE_FLAGS_H),
    mmflagsH: read(MMFLAGS_H),
    source: source ?? `${basename(dir)} ${kernelVersion(read('Makefile'), join(dir, 'Makefile'))}`,
    pageFlagsPath: join(dir, PAGE_FLAGS_H),
    mmflagsPath: join(dir, MMFLAGS_H),
  };
}

/** Extracts only Makefile and the two headers of a Debian linux-source tarball into a temp dir. */
export function extractDebianHeaders(tarball: string): HeaderSources {
  const top = basename(tarball).replace(/\.tar\.xz$/, '');
  const tmp = mkdtempSync(join(tmpdir(), 'folioscope-kernelsrc-'));
  try {
    const members = ['Makefile', PAGE_FLAGS_H, MMFLAGS_H].map((f) => `${top}/${f}`);
    execFileSync('tar', ['-xJf', tarball, '-C', tmp, ...members], { stdio: ['ignore', 'ignore', 'pipe'] });
    const tree = readKernelTree(join(tmp, top));
    // paths inside the temp dir would make errors and output depend on the run
    return { ...tree, pageFlagsPath: PAGE_FLAGS_H, mmflagsPath: MMFLAGS_H };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export function renderDebianProfile(tarball: string, exportName: string): string {
  return generateProfileModule(indexPageFlagsHeader(extractDebianHeaders(tarball)), exportName);
}

/** mainline.ts from Debian's 6.12 headers + mainline's documented changes (see mainline.ts) */
export function mainlineProfileModule(v6_12: HeaderSources): string {
  return generateProfileModule(indexMainlineHeader(v6_12), 'mainline', [
    'Reconstructed, not indexed from a mainline tree; line numbers are unknown (0). Changes applied:',
    ...MAINLINE_EDITS.map((w) => `  - ${w}`),
  ]);
}

export function renderMainlineProfile(tarball612: string): string {
  return mainlineProfileModule(extractDebianHeaders(tarball612));
}

export function renderTreeProfile(dir: string, source: string, exportName: string): string {
  const tree = readKernelTree(dir, source);
  return generateProfileModule(
    indexPageFlagsHeader({ ...tree, pageFlagsPath: PAGE_FLAGS_H, mmflagsPath: MMFLAGS_H }),
    exportName,
  );
}
