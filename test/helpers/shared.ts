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
