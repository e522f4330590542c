/** Real kernel data for the kernelsrc tests: Debian's linux-source tarballs and configs. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { KernelConfig, evalConditions } from '../../src/kernel/profiles/config.js';
import type { PageFlagsHeader } from '../../src/kernel/profiles/types.js';
import { TRACES } from '../helpers/shared.js';

export const SERIES = ['6.1', '6.12'] as const;
export type Series = (typeof SERIES)[number];

export const tarball = (s: Series): string => `/usr/src/linux-source-${s}.tar.xz`;
export const debianConfigPath = (s: Series): string =>
  `/usr/src/linux-config-${s}/config.amd64_none_amd64.xz`;

/** The Debian trees are present; missing ones skip locally and fail under CI. */
export function haveDebianTrees(): boolean {
  const missing = SERIES.flatMap((s) => [tarball(s), debianConfigPath(s)]).filter((f) => !existsSync(f));
  if (missing.length === 0) return true;
  const msg = `kernel source packages missing: ${missing.join(', ')} (apt-get install linux-source-6.1 linux-source-6.12 linux-config-6.1 linux-config-6.12)`;
  if (process.env.CI) throw new Error(msg);
  console.warn(`skipping kernel-tree tests: ${msg}`);
  return false;
}

export function debianConfig(s: Series): KernelConfig {
  return KernelConfig.parse(
    execFileSync('xz', ['-dc', debianConfigPath(s)], { encoding: 'utf8' }),
    debianConfigPath(s),
  );
}

export function traceConfig(s: Series): KernelConfig {
  const file = `${TRACES}/${s}/kernel.config`;
  return KernelConfig.parse(readFileSync(file, 'utf8'), file);
}

/** enum pageflags resolved like the compiler does: bit numbers of present members, and __NR_PAGEFLAGS. */
export function pageflagBits(
  header: PageFlagsHeader,
  cfg: KernelConfig,
): { bits: Map<string, number>; nr: number } {
  const bits = new Map<string, number>();
  for (const m of header.pageflags) if (evalConditions(m.cond, cfg)) bits.set(m.name, bits.size);
  return { bits, nr: bits.size };
}

/** `(1UL << N) - 1` and the `{1UL << PG_x, "x"}` pairs (spacing varies) of the first page_ref event's print fmt. */
export function printFmt(s: Series): { nr: number; names: string[] } {
  const text = readFileSync(`${TRACES}/${s}/info/page_ref_formats.txt`, 'utf8');
  const fmt = /^print fmt: .*$/m.exec(text)?.[0] ?? '';
  const nr = Number(/\(1UL << (\d+)\) - 1/.exec(fmt)?.[1]);
  const names = Array.from(fmt.matchAll(/\{ ?1UL << PG_(\w+), "(\w+)" ?\}/g), (m) => m[2]);
  return { nr, names };
}
