#!/usr/bin/env node
// Thin launcher: the CLI lives in dist/cli (built by `npm ci` through the prepare script).
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
