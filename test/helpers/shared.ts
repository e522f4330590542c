/** Paths of the shared ground truth beside the repository (../shared), read in place. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { KernelConfig } from '../../src/kernel/profiles/config.js';
import { loadProfile, type Profile } from '../../src/kernel/profiles/index.js';
import type { ProfileName } from '../../src/kernel/profiles/types.js';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SHARED = resolve(REPO, '../shared');
export const TRACES = resolve(SHARED, 'traces');
export const SAMPLES = resolve(SHARED, 'samples');

export function sharedPath(...parts: string[]): string {
  const p = resolve(SHARED, ...parts);
  if (!existsSync(p)) throw new Error(`missing shared ground truth: ${p}`);
  return p;
}

export function readShared(...parts: string[]): string {
  const p = sharedPath(...parts);
  const buf = readFileSync(p);
  return (p.endsWith('.gz') ? gunzipSync(buf) : buf).toString('utf8');
}

/** The profile resolved with the config of the QEMU kernels that produced ../shared/traces. */
export function traceProfile(version: '6.1' | '6.12'): Profile {
  const path = sharedPath('traces', version, 'kernel.config');
  return loadProfile(version as ProfileName, {
    config: KernelConfig.parse(readFileSync(path, 'utf8')),
    name: path,
  });
}

/**
 * The kernels behind the public dump_page reports in ../shared/samples: 5 zones (DMA, DMA32,
 * Normal, Movable, Device -> ZONES_SHIFT 3), NODES_SHIFT 6, NUMA balancing; their lastcpupid
 * widths (11 and 12 bits) give NR_CPUS 8 and 16.
 */
export function reportProfile(name: ProfileName, nrCpus: number): Profile {
  const config = KernelConfig.from({
    CONFIG_64BIT: 'y',
    CONFIG_MMU: 'y',
    CONFIG_SMP: 'y',
    CONFIG_NUMA: 'y',
    CONFIG_NUMA_BALANCING: 'y',
    CONFIG_NODES_SHIFT: '6',
    CONFIG_NR_CPUS: String(nrCpus),
    CONFIG_SPARSEMEM: 'y',
    CONFIG_SPARSEMEM_VMEMMAP: 'y',
    CONFIG_ZONE_DMA: 'y',
    CONFIG_ZONE_DMA32: 'y',
    CONFIG_ZONE_DEVICE: 'y',
    CONFIG_TRANSPARENT_HUGEPAGE: 'y',
  });
  return loadProfile(name, { config, name: 'report' });
}

/**
 * The lines of a large shared file, one at a time, without the whole text as one string: the
 * gunzipped bytes stay one Buffer (outside the JS heap), each line is decoded when it is reached.
 */
export function* sharedLines(...parts: string[]): Generator<string> {
  const p = sharedPath(...parts);
  const buf = p.endsWith('.gz') ? gunzipSync(readFileSync(p)) : readFileSync(p);
  for (let at = 0; at < buf.length;) {
    const nl = buf.indexOf(10, at);
    const end = nl < 0 ? buf.length : nl;
    yield buf.toString('utf8', at, end);
    at = end + 1;
  }
}
