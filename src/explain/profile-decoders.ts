/**
 * Adapters from a resolved profile to the decoder interfaces of the readers: flags text of a
 * trace -> bits (trace/flags.ts FlagsDecoder), and a flags word -> the names %pGp prints
 * (explain/dumppage-explain.ts PageFlagsDecoder).
 */
import { pageflagsMask } from '../kernel/flag_names.js';
import type { Profile } from '../kernel/profiles/index.js';
import type { FlagsDecoder } from '../trace/flags.js';
import type { PageFlagsDecoder } from './dumppage-explain.js';

export function traceFlagsDecoder(p: Profile): FlagsDecoder {
  const byName = new Map(p.flagNames.map((f) => [f.name, f.mask]));
  return {
    decode(text: string) {
      if (text === 'none') return { lo: 0, unknown: [] };
      let lo = 0;
      const unknown: string[] = [];
      for (const part of text.split('|')) {
        if (/^0x[0-9a-f]+$/i.test(part)) lo |= Number.parseInt(part, 16);
        else if (byName.has(part)) lo |= byName.get(part)!;
        else unknown.push(part);
      }
      return { lo: lo >>> 0, unknown };
    },
  };
}

export function dumpPageFlagsDecoder(p: Profile): PageFlagsDecoder {
  return {
    profile: p.name,
    flagNames(word: bigint): readonly string[] {
      let rest = Number(word & BigInt(pageflagsMask(p)));
      const names: string[] = [];
      for (const { name, mask } of p.flagNames) {
        if (rest !== 0 && (rest & mask) >>> 0 === mask) {
          names.push(name);
          rest = (rest & ~mask) >>> 0;
        }
      }
      return names;
    },
    explainFlag(name: string): string | undefined {
      const bit = p.bits.get(name);
      if (bit === undefined) return undefined;
      const aliases = p.header.aliases
        .filter((a) => a.of === name && p.bits.has(a.name))
        .map((a) => `PG_${a.name}`);
      return `PG_${name} (bit ${bit})${aliases.length ? `; also read as ${aliases.join(', ')}` : ''}`;
    },
  };
}
