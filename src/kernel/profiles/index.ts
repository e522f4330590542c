/**
 * Profile resolution: a profile's header data + facts + a kernel config -> concrete bit numbers,
 * the print table, the accessors that exist, the page types and the flags-word layout.
 * Code elsewhere reads the resolved profile; it never compares version numbers.
 */
import { computeFlagsLayout, type FlagsLayout } from '../page_flags_layout.js';
import { KernelConfig, evalConditions } from './config.js';
import { DEBIAN_AMD64_CONFIG } from './default_configs.js';
import { mainline as header_mainline } from './generated/mainline.js';
import { v6_1 as header_v6_1 } from './generated/v6_1.js';
import { v6_12 as header_v6_12 } from './generated/v6_12.js';
import { facts_mainline } from './mainline.js';
import type { Accessor, PageFlagsHeader, ProfileFacts, ProfileName } from './types.js';
import { facts_v6_1 } from './v6_1.js';
import { facts_v6_12 } from './v6_12.js';

export const PROFILE_NAMES: readonly ProfileName[] = ['6.1', '6.12', 'mainline'];

const DATA: Record<ProfileName, { header: PageFlagsHeader; facts: ProfileFacts }> = {
  '6.1': { header: header_v6_1, facts: facts_v6_1 },
  '6.12': { header: header_v6_12, facts: facts_v6_12 },
  mainline: { header: header_mainline, facts: facts_mainline },
};

export interface FlagName {
  readonly name: string;
  /** 1 << PG_flag */
  readonly mask: number;
}

export interface Profile {
  readonly name: ProfileName;
  readonly facts: ProfileFacts;
  readonly header: PageFlagsHeader;
  readonly config: KernelConfig;
  /** 'debian-amd64' or the path of the .config it was resolved with */
  readonly configName: string;
  readonly nrPageflags: number;
  /** PG_ name (members and aliases) -> bit number */
  readonly bits: ReadonlyMap<string, number>;
  /** members by bit number (index = bit) */
  readonly members: readonly string[];
  /** __def_pageflag_names in print order, resolved */
  readonly flagNames: readonly FlagName[];
  /** accessors that exist under this config, by name */
  readonly accessors: ReadonlyMap<string, Accessor>;
  /** page type lname -> PGTY id (top-byte encoding) or the bit cleared (inverted-bits encoding) */
  readonly pageTypes: ReadonlyMap<string, number>;
  readonly layout: FlagsLayout;
  /** migratetype_names (mm/page_alloc.c) for this config, index = enum migratetype */
  readonly migratetypes: readonly string[];
}

export function isProfileName(s: string): s is ProfileName {
  return (PROFILE_NAMES as readonly string[]).includes(s);
}

const cache = new Map<string, Profile>();

/**
 * Resolves a profile. Without a config, the Debian amd64 config of that version is used.
 */
export function loadProfile(name: ProfileName, config?: { config: KernelConfig; name: string }): Profile {
  const key = config ? undefined : name;
  if (key && cache.has(key)) return cache.get(key)!;
  const cfg = config ?? { config: KernelConfig.from(DEBIAN_AMD64_CONFIG[name]), name: 'debian-amd64' };
  const p = resolveProfile(name, DATA[name].header, DATA[name].facts, cfg.config, cfg.name);
  if (key) cache.set(key, p);
  return p;
}

export function resolveProfile(
  name: ProfileName,
  header: PageFlagsHeader,
  facts: ProfileFacts,
  config: KernelConfig,
  configName: string,
): Profile {
  const on = (cond: readonly string[]) => evalConditions(cond, config);
  const members = header.pageflags.filter((m) => on(m.cond)).map((m) => m.name);
  const bits = new Map<string, number>();
  members.forEach((m, i) => bits.set(m, i));
  for (const a of header.aliases) {
    if (!on(a.cond)) continue;
    const bit = bits.get(a.of);
    if (bit === undefined) throw new Error(`profile ${name}: alias PG_${a.name} = PG_${a.of}: no such flag`);
    bits.set(a.name, bit);
  }
  const flagNames: FlagName[] = [];
  for (const e of header.flagNames) {
    if (!on(e.cond)) continue;
    const bit = bits.get(e.flag);
    if (bit === undefined)
      throw new Error(`profile ${name}: flag name ${e.name}: PG_${e.flag} does not exist`);
    flagNames.push({ name: e.name, mask: (1 << bit) >>> 0 });
  }
  const accessors = new Map<string, Accessor>();
  for (const a of header.accessors) if (on(a.cond)) accessors.set(a.name, a);
  const pageTypes = new Map<string, number>();
  for (const t of header.pageTypes) if (on(t.cond)) pageTypes.set(t.name, t.value);
  // enum migratetype (include/linux/mmzone.h, 6.1 = 6.12)
  const migratetypes = ['Unmovable', 'Movable', 'Reclaimable', 'HighAtomic'];
  if (config.isEnabled('CONFIG_CMA')) migratetypes.push('CMA');
  if (config.isEnabled('CONFIG_MEMORY_ISOLATION')) migratetypes.push('Isolate');
  return {
    name,
    facts,
    header,
    config,
    configName,
    nrPageflags: members.length,
    bits,
    members,
    flagNames,
    accessors,
    pageTypes,
    layout: computeFlagsLayout(config, members.length),
    migratetypes,
  };
}

/** The bit of PG_<name>; throws if this profile has no such flag. */
export function pgBit(p: Profile, name: string): number {
  const b = p.bits.get(name);
  if (b === undefined) throw new Error(`PG_${name} does not exist in profile ${p.name} (${p.configName})`);
  return b;
}
