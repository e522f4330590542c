// TEMPORARY minimal version; replaced by the kernelsrc branch's full implementation at merge.
import type { Conditions } from './types.js';

export class KernelConfig {
  private constructor(private readonly values: ReadonlyMap<string, string>) {}
  static from(record: Record<string, string | boolean | number>): KernelConfig {
    const m = new Map<string, string>();
    for (const [k, v] of Object.entries(record)) {
      if (v === false) continue;
      m.set(k.startsWith('CONFIG_') ? k : `CONFIG_${k}`, v === true ? 'y' : String(v));
    }
    return new KernelConfig(m);
  }
  static parse(text: string): KernelConfig {
    const m = new Map<string, string>();
    for (const line of text.split('\n')) {
      const eq = /^(CONFIG_\w+)=(.*)$/.exec(line);
      if (eq) m.set(eq[1], eq[2].replace(/^"(.*)"$/, '$1'));
    }
    return new KernelConfig(m);
  }
  isEnabled(name: string): boolean {
    const v = this.values.get(name);
    return v === 'y' || v === 'm';
  }
  value(name: string): string | undefined {
    return this.values.get(name);
  }
}

export function evalCondition(expr: string, cfg: KernelConfig): boolean {
  const js = expr
    .replace(/defined\s*\(\s*(\w+)\s*\)/g, (_, n: string) => (cfg.isEnabled(n) ? '1' : '0'))
    .replace(/defined\s+(\w+)/g, (_, n: string) => (cfg.isEnabled(n) ? '1' : '0'))
    .replace(/IS_ENABLED\s*\(\s*(\w+)\s*\)/g, (_, n: string) => (cfg.isEnabled(n) ? '1' : '0'))
    .replace(/CONFIG_\w+/g, (n) => cfg.value(n) ?? '0');
  if (!/^[\d\s()!&|<>=]*$/.test(js)) throw new Error(`cannot evaluate preprocessor condition: ${expr}`);
  return Boolean(new Function(`return (${js});`)());
}

export function evalConditions(cond: Conditions, cfg: KernelConfig): boolean {
  return cond.every((c) => evalCondition(c, cfg));
}
