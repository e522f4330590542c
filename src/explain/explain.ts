/**
 * `explain <symbol>`: where a page-flags.h name comes from — the generator macro invocation (file
 * and line), the macro chain down to the defining macro, the name template, what it tests or sets,
 * the PF_* policy and the config it depends on — from a built-in profile or a user's kernel tree.
 *
 * JSON shape of one entry (stable):
 *   found:     { name, found: true, source, generated, file, line, invocation, chain, template,
 *                tests, policy, config, enabled }
 *              invocation: 'PAGEFLAG(Active, active, PF_HEAD)' | null (hand-written);
 *              chain: ['PAGEFLAG', 'TESTPAGEFLAG', ...] ([] when hand-written); template:
 *              'folio_test_##name' | null; policy: { name, page, checks } | null; config: the
 *              preprocessor conditions it sits under (C expressions, [] = always); enabled:
 *              true/false under the chosen config, null when no config was given (tree without one)
 *   not found: { name, found: false, source, reason: 'config-off' | 'not-in-source' |
 *                'not-page-flags', message, elsewhere: [{ profile, invocation, line, generated }] }
 * A name defined under several conditions without a config to choose gives one entry per variant.
 */
import { evalConditions, type KernelConfig } from '../kernel/profiles/config.js';
import { PROFILE_NAMES, loadProfile } from '../kernel/profiles/index.js';
import type {
  Accessor,
  Conditions,
  HandWritten,
  PageFlagsHeader,
  ProfileName,
} from '../kernel/profiles/types.js';
import { handWrittenTests, policyOf, testsOf, type PolicyInfo } from './explain-describe.js';
import { ACCESSOR_NAME, PAGE_FLAGS_H } from './kernelsrc/index.js';

export interface ExplainSource {
  /** 'profile 6.12 (debian-amd64)' or the tree's 'linux-6.12 6.12.117' */
  readonly label: string;
  /** the built-in profile, when the source is one */
  readonly profile?: ProfileName;
  readonly header: PageFlagsHeader;
  readonly config?: { readonly config: KernelConfig; readonly name: string };
}

export interface Explanation {
  readonly name: string;
  readonly found: true;
  readonly source: string;
  readonly generated: boolean;
  readonly file: string;
  readonly line: number;
  readonly invocation: string | null;
  readonly chain: readonly string[];
  readonly template: string | null;
  readonly tests: string;
  readonly policy: PolicyInfo | null;
  readonly config: Conditions;
  readonly enabled: boolean | null;
}

export interface Elsewhere {
  readonly profile: ProfileName;
  readonly invocation: string | null;
  readonly line: number;
  readonly generated: boolean;
}

export interface NotExplained {
  readonly name: string;
  readonly found: false;
  readonly source: string;
  readonly reason: 'config-off' | 'not-in-source' | 'not-page-flags';
  readonly message: string;
  readonly elsewhere: readonly Elsewhere[];
}

export type ExplainEntry = Explanation | NotExplained;

/** kernel/bounds.c defines __GENERATING_BOUNDS_H; no real build of a .c file sees it */
const BOUNDS = '!defined(__GENERATING_BOUNDS_H)';
const configOf = (cond: Conditions): Conditions => cond.filter((c) => c !== BOUNDS);

export function profileSource(p: {
  name: ProfileName;
  header: PageFlagsHeader;
  config: KernelConfig;
  configName: string;
}): ExplainSource {
  return {
    label: `profile ${p.name} (${p.configName})`,
    profile: p.name,
    header: p.header,
    config: { config: p.config, name: p.configName },
  };
}

/** PG_<flag>'s bit: fixed by the config, or by the unconditional members before it. */
function bitText(src: ExplainSource, flag: string): string {
  const alias = src.header.aliases.find(
    (a) => a.name === flag && (!src.config || evalConditions(a.cond, src.config.config)),
  );
  const member = alias?.of ?? flag;
  let bit = 0;
  for (const m of src.header.pageflags) {
    const on = src.config
      ? evalConditions(m.cond, src.config.config)
      : configOf(m.cond).length === 0
        ? true
        : undefined;
    if (m.name === member) {
      if (on === undefined) return ` (bit depends on ${configOf(m.cond).join(' && ')})`;
      const via = alias ? `, PG_${flag} = PG_${member}` : '';
      return ` (bit ${bit}${via} on ${src.label})`;
    }
    if (on === undefined) return ` (bit depends on the config: PG_${m.name} before it is conditional)`;
    if (on) bit++;
  }
  return '';
}

function fromAccessor(src: ExplainSource, a: Accessor): Explanation {
  return {
    name: a.name,
    found: true,
    source: src.label,
    generated: true,
    file: PAGE_FLAGS_H,
    line: a.invocation.line,
    invocation: a.invocation.text,
    chain: a.chain,
    template: a.template,
    tests: testsOf(a, src.header, a.op.startsWith('type_') ? '' : bitText(src, a.flag)),
    policy: policyOf(a),
    config: configOf(a.cond),
    enabled: src.config ? evalConditions(a.cond, src.config.config) : null,
  };
}

function fromHandWritten(src: ExplainSource, h: HandWritten): Explanation {
  return {
    name: h.name,
    found: true,
    source: src.label,
    generated: false,
    file: PAGE_FLAGS_H,
    line: h.line,
    invocation: null,
    chain: [],
    template: null,
    tests: handWrittenTests(h.name, h.line),
    policy: null,
    config: configOf(h.cond),
    enabled: src.config ? evalConditions(h.cond, src.config.config) : null,
  };
}

/** Every definition of `name` in the header, generated ones first, in source order. */
function definitions(src: ExplainSource, name: string): Explanation[] {
  return [
    ...src.header.accessors.filter((a) => a.name === name).map((a) => fromAccessor(src, a)),
    ...src.header.handWritten.filter((h) => h.name === name).map((h) => fromHandWritten(src, h)),
  ];
}

/** The built-in profiles (other than the source's own) whose header defines `name`. */
function elsewhere(src: ExplainSource, name: string): Elsewhere[] {
  const out: Elsewhere[] = [];
  for (const p of PROFILE_NAMES) {
    if (p === src.profile) continue;
    // prefer the definition the profile's own (Debian) config compiles
    const profile = loadProfile(p);
    const header = profile.header;
    const h =
      header.handWritten.find((x) => x.name === name && evalConditions(x.cond, profile.config)) ??
      header.handWritten.find((x) => x.name === name);
    const a = profile.accessors.get(name) ?? (h ? undefined : header.accessors.find((x) => x.name === name));
    if (a) out.push({ profile: p, invocation: a.invocation.text, line: a.invocation.line, generated: true });
    else if (h) out.push({ profile: p, invocation: null, line: h.line, generated: false });
  }
  return out;
}

export function explainName(src: ExplainSource, name: string): ExplainEntry[] {
  const all = definitions(src, name);
  const on = all.filter((e) => e.enabled !== false);
  if (on.length) return on;
  const other = elsewhere(src, name);
  const where = other.map(
    (o) => `${o.profile} as ${o.invocation ?? 'a hand-written function'} at line ${o.line}`,
  );
  const also = where.length ? `; exists in ${where.join(', ')}` : '';
  if (all.length) {
    const conds = all.map((e) => e.config.join(' && ')).join(' or ');
    const message = `${name}: defined only when ${conds}, which ${src.config?.name ?? 'the config'} does not satisfy${also}`;
    return [{ name, found: false, source: src.label, reason: 'config-off', message, elsewhere: other }];
  }
  if (other.length || ACCESSOR_NAME.test(name)) {
    const message = `${name}: not in ${src.label}${also || '; no built-in profile defines it either'}`;
    return [{ name, found: false, source: src.label, reason: 'not-in-source', message, elsewhere: other }];
  }
  const message = `${name}: not a page-flags name (expected e.g. folio_test_active, PageBuddy, __SetPageBuddy)`;
  return [{ name, found: false, source: src.label, reason: 'not-page-flags', message, elsewhere: [] }];
}

/** `explain --all`: every name the source defines (under its config, if any), in source order. */
export function explainAll(src: ExplainSource): Explanation[] {
  const names = new Set([
    ...src.header.accessors.map((a) => a.name),
    ...src.header.handWritten.map((h) => h.name),
  ]);
  return [...names].flatMap((n) => definitions(src, n).filter((e) => e.enabled !== false));
}
