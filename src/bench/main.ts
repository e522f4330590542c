/**
 * `npm run bench`: runs every benchmark module in this directory (each exports `bench()`), one
 * after the other. Benchmarks print ratios measured in the same run, not absolute targets.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dir = path.dirname(fileURLToPath(import.meta.url));
const self = path.basename(fileURLToPath(import.meta.url));
for (const f of readdirSync(dir).sort()) {
  if (!f.endsWith('.js') || f === self) continue;
  const mod = (await import(pathToFileURL(path.join(dir, f)).href)) as { bench?: () => Promise<void> };
  if (typeof mod.bench === 'function') await mod.bench();
}
