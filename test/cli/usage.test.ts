/**
 * Exit codes that scripts can trust (DESIGN.md): help asked for is 0, a missing or unknown
 * (sub)command is a usage error, 2, never 1 (which means findings).
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

describe('usage exit codes', () => {
  it.each([[['help']], [['--help']], [['help', 'decode']], [['decode', '--help']]])(
    '%j shows help and exits 0',
    async (args) => {
      const r = await runCli(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^Usage: folioscope /);
    },
  );

  it.each([[[]], [['decode']]])('%j (no command) shows help on stderr and exits 2', async (args) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^Usage: folioscope /);
  });

  it.each([[['bogus']], [['decode', 'dumppage', 'x']]])('%j (unknown command) exits 2', async (args) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: unknown command/);
  });
});
