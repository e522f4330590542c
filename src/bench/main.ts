/**
 * `npm run bench`: runs every benchmark module in this directory (each exports `bench()`), one
 * after the other. Benchmarks print ratios measured in the same run, not absolute targets.
 *
 * They run under the glibc malloc tunables that bin/folioscope.js's shebang gives the CLI, so what
 * is timed is what a user's `folioscope run` does: glibc reads them only when a process starts, so
 * without them main starts itself again with them. (Without them the simulator's fresh typed
 * arrays come in 4 KiB pages, each first touch a fault of ~20 us on the VMs here: the 16 GiB
 * machine's boot took 107 k faults instead of 12 k, the timed fork workload ~1600 instead of ~820.)
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dir = path.dirname(fileURLToPath(import.meta.url));
const self = path.basename(fileURLToPath(import.meta.url));

/** GLIBC_TUNABLES=... of the launcher's `#!/usr/bin/env -S` line */
function launcherTunables(): string | undefined {
  const shebang = readFileSync(path.join(dir, '../../bin/folioscope.js'), 'latin1').split('\n', 1)[0];
  return /\bGLIBC_TUNABLES=(\S+)/.exec(shebang)?.[1];
}

const tunables = launcherTunables();
if (tunables !== undefined && process.env.GLIBC_TUNABLES !== tunables) {
  const r = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, GLIBC_TUNABLES: tunables },
  });
  process.exit(r.status ?? 1);
}

for (const f of readdirSync(dir).sort()) {
  if (!f.endsWith('.js') || f === self) continue;
  const mod = (await import(pathToFileURL(path.join(dir, f)).href)) as { bench?: () => Promise<void> };
  if (typeof mod.bench === 'function') await mod.bench();
}
