#!/usr/bin/env -S GLIBC_TUNABLES=glibc.malloc.hugetlb=1:glibc.malloc.trim_threshold=268435456:glibc.malloc.top_pad=33554432 node
// Thin launcher: the CLI lives in dist/cli (built by `npm ci` through the prepare script).
//
// The shebang sets glibc's malloc tunables before node starts (they are read only then): large
// allocations (the trace columns, the analyses' typed arrays) get transparent huge pages through
// madvise, and the heap grows in 32 MiB steps and is not trimmed back between the analyses. A
// first touch of a 4 KiB page costs 14-20 us on the 2-core VMs here; `analyze` of the 240 MB
// bench trace made 32.5 k page faults, with the tunables 12 k: 9 paired whole-process runs,
// median cpu 1.15x, wall 1.17x faster, peak RSS +26 MiB. Without glibc (or run as
// `node bin/folioscope.js`) they are simply not applied.
import { main } from '../dist/cli/main.js';

// `folioscope run thp | head`: the reader has gone; stop quietly, as a C tool does on SIGPIPE
process.stdout.on('error', (err) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(process.exitCode ?? 0);
});

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(`folioscope: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 2;
  },
);
