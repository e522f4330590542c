// Regenerates src/kernel/profiles/generated/*.ts from kernel trees (run via `npm run gen:profiles`,
// which builds dist/ first). Debian's linux-source-6.1 and linux-source-6.12 tarballs give
// v6_1.ts and v6_12.ts; a mainline checkout's two headers, if present under
// $FOLIOSCOPE_MAINLINE_DIR (default /tmp/folioscope-mainline, with a COMMIT file), give mainline.ts;
// without one, mainline.ts is reconstructed from 6.12 (src/explain/kernelsrc/mainline.ts).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import {
  renderDebianProfile,
  renderMainlineProfile,
  renderTreeProfile,
} from '../dist/explain/kernelsrc/tree.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const outDir = join(repo, 'src/kernel/profiles/generated');

async function write(name, text) {
  const file = join(outDir, name);
  const options = (await resolveConfig(file)) ?? {};
  writeFileSync(file, await format(text, { ...options, filepath: file }));
  console.error(`wrote ${file}`);
}

for (const [series, exportName] of [
  ['6.1', 'v6_1'],
  ['6.12', 'v6_12'],
]) {
  const tarball = `/usr/src/linux-source-${series}.tar.xz`;
  if (!existsSync(tarball)) {
    console.error(
      `skipping ${exportName}: ${tarball} not installed (apt-get install linux-source-${series})`,
    );
    continue;
  }
  await write(`${exportName}.ts`, renderDebianProfile(tarball, exportName));
}

const mainline = process.env.FOLIOSCOPE_MAINLINE_DIR ?? '/tmp/folioscope-mainline';
if (existsSync(join(mainline, 'COMMIT'))) {
  const commit = readFileSync(join(mainline, 'COMMIT'), 'utf8').trim();
  await write('mainline.ts', renderTreeProfile(mainline, `torvalds/linux@${commit}`, 'mainline'));
} else if (existsSync('/usr/src/linux-source-6.12.tar.xz')) {
  // no mainline tree: reconstruct it from 6.12 + mainline's documented changes
  await write('mainline.ts', renderMainlineProfile('/usr/src/linux-source-6.12.tar.xz'));
} else {
  console.error('skipping mainline.ts: neither a mainline tree nor linux-source-6.12');
}
