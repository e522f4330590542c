/**
 * The C preprocessor as an oracle for the indexer: which functions does page-flags.h define, and
 * on which source line, for a given config?
 *
 * Method: the header's `#include` lines are blanked (line numbers stay), the config becomes an
 * autoconf-style prelude (`CONFIG_X=y` -> `#define CONFIG_X 1`, `=m` -> `CONFIG_X_MODULE 1`,
 * values as written), and `gcc -E -undef -nostdinc` preprocesses it. Without -P, gcc emits
 * `# <line> "<file>"` markers and keeps output lines in step with source lines, and the whole
 * expansion of a macro invocation lands on the line the invocation starts on. So every
 * `static ... NAME(...) {` in the output, attributed to the current source line, gives the
 * (name, line) pairs of generated functions (at their invocation line) and of hand-written
 * ones (at their own line) — computed by cpp itself, not from any list typed by hand.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KernelConfig } from '../../src/kernel/profiles/config.js';

function autoconf(cfg: KernelConfig): string {
  const lines: string[] = [];
  for (const [name, value] of cfg.entries()) {
    if (value === 'y') lines.push(`#define ${name} 1`);
    else if (value === 'm') lines.push(`#define ${name}_MODULE 1`);
    else if (/^-?(0x[0-9a-fA-F]+|\d+)$/.test(value)) lines.push(`#define ${name} ${value}`);
    else lines.push(`#define ${name} ${JSON.stringify(value)}`);
  }
  return lines.join('\n') + '\n';
}

/** `name@line` for every function definition the preprocessed header contains. */
export function cppFunctionDefinitions(headerText: string, cfg: KernelConfig): Set<string> {
  const dir = mkdtempSync(join(tmpdir(), 'folioscope-cpp-'));
  try {
    const header = join(dir, 'page-flags.h');
    writeFileSync(header, headerText.replace(/^[ \t]*#[ \t]*include\b.*$/gm, ''));
    writeFileSync(join(dir, 'autoconf.h'), autoconf(cfg));
    const out = execFileSync(
      'gcc',
      ['-E', '-undef', '-nostdinc', '-x', 'c', '-include', join(dir, 'autoconf.h'), header],
      { encoding: 'utf8', maxBuffer: 64 << 20 },
    );
    return definitionsIn(out, header);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function definitionsIn(cppOutput: string, file: string): Set<string> {
  // tokens of the header's output lines, each with its source line
  const tokens: { text: string; line: number }[] = [];
  let line = 0;
  let inHeader = false;
  for (const raw of cppOutput.split('\n')) {
    const marker = /^# (\d+) "([^"]*)"/.exec(raw);
    if (marker) {
      line = Number(marker[1]);
      inHeader = marker[2] === file;
      continue;
    }
    if (inHeader) for (const m of raw.matchAll(/[A-Za-z_]\w*|\S/g)) tokens.push({ text: m[0], line });
    line++;
  }
  const defs = new Set<string>();
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i].text !== 'static') continue;
    let j = i + 1;
    while (j < tokens.length && !['(', ';', '{', '=', ')'].includes(tokens[j].text)) j++;
    if (tokens[j]?.text !== '(') continue;
    const name = tokens[j - 1];
    let depth = 0;
    let k = j;
    for (; k < tokens.length; k++) {
      if (tokens[k].text === '(') depth++;
      else if (tokens[k].text === ')' && --depth === 0) break;
    }
    if (tokens[k + 1]?.text === '{') defs.add(`${name.text}@${name.line}`);
  }
  return defs;
}
