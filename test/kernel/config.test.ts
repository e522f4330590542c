import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { evalCondition, evalConditions, KernelConfig } from '../../src/kernel/profiles/config.js';

const debianConfig = (series: string): string => `/usr/src/linux-config-${series}/config.amd64_none_amd64.xz`;

describe('KernelConfig.parse on real configs', () => {
  it('reads the 6.1 trace kernel config (the kernel that produced traces/6.1)', () => {
    const cfg = KernelConfig.parse(readFileSync('/work/shared/traces/6.1/kernel.config', 'utf8'));
    expect(cfg.isBuiltin('CONFIG_MMU')).toBe(true);
    expect(cfg.isBuiltin('DEBUG_PAGE_REF')).toBe(true);
    expect(cfg.value('CONFIG_CC_VERSION_TEXT')).toBe('gcc (Debian 12.2.0-14+deb12u1) 12.2.0');
  });

  for (const series of ['6.1', '6.12']) {
    it.skipIf(!existsSync(debianConfig(series)))(`reads Debian ${series} amd64 config`, () => {
      const text = execFileSync('xz', ['-dc', debianConfig(series)], { encoding: 'utf8' });
      const cfg = KernelConfig.parse(text, debianConfig(series));
      expect(cfg.isBuiltin('CONFIG_64BIT')).toBe(true);
      expect(cfg.isBuiltin('CONFIG_MEMORY_FAILURE')).toBe(true);
      expect(cfg.isModule('CONFIG_EXT4_FS')).toBe(true); // Debian builds ext4 as a module
      expect(cfg.isEnabled('BTRFS_FS')).toBe(true); // =m
      expect(cfg.isDefinedMacro('CONFIG_BTRFS_FS')).toBe(false);
      expect(cfg.isDefinedMacro('CONFIG_BTRFS_FS_MODULE')).toBe(true);
      expect(Number(cfg.value('NR_CPUS'))).toBeGreaterThan(1);
    });
  }

  it('names file and line of a malformed line', () => {
    expect(() => KernelConfig.parse('CONFIG_A=y\nbogus\n', 'x.config')).toThrow('x.config:2:');
  });
});

describe('evalCondition', () => {
  const cfg = KernelConfig.from({ MMU: true, SWAP: false, BTRFS_FS: 'm', NR_CPUS: 64, CONFIG_64BIT: true });
  const cases: [string, boolean][] = [
    ['defined(CONFIG_MMU)', true],
    ['defined CONFIG_MMU', true],
    ['!defined(CONFIG_SWAP)', true],
    ['defined(CONFIG_BTRFS_FS)', false],
    ['defined(CONFIG_BTRFS_FS_MODULE)', true],
    ['IS_ENABLED(CONFIG_BTRFS_FS)', true],
    ['IS_BUILTIN(CONFIG_BTRFS_FS)', false],
    ['defined(CONFIG_PAGE_IDLE_FLAG) && defined(CONFIG_64BIT)', false],
    ['defined(CONFIG_SWAP) || (defined(CONFIG_MMU) && !defined(CONFIG_SWAP))', true],
    ['CONFIG_NR_CPUS > 5', true],
    ['CONFIG_NR_CPUS == 0x40', true],
    ['CONFIG_UNSET_THING', false],
    ['!defined(__GENERATING_BOUNDS_H)', true],
    ['0', false],
  ];
  for (const [expr, want] of cases)
    it(`${expr} -> ${want}`, () => expect(evalCondition(expr, cfg)).toBe(want));

  it('throws naming the expression on unknown syntax', () => {
    expect(() => evalCondition('CONFIG_A + 1', cfg)).toThrow('CONFIG_A + 1');
    expect(() => evalCondition('FOO(1)', cfg)).toThrow('FOO(1)');
    expect(() => evalCondition('(defined(CONFIG_MMU)', cfg)).toThrow();
  });

  it('evalConditions requires all', () => {
    expect(evalConditions([], cfg)).toBe(true);
    expect(evalConditions(['defined(CONFIG_MMU)', '!defined(CONFIG_MMU)'], cfg)).toBe(false);
  });
});
