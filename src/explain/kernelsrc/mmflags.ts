/**
 * The `__def_pageflag_names` table of include/trace/events/mmflags.h: the order in which
 * show_page_flags() (and so the `flags=` field of page_ref trace events) prints page flags.
 * Entries are `{1UL << PG_x, "x"}` (6.1), `DEF_PAGEFLAG_NAME(x)` (6.12+) or conditional
 * `IF_HAVE_PG_*(...)` whose condition is the one of their non-empty #define in mmflags.h.
 */
import type { Conditions, FlagNameEntry } from '../../kernel/profiles/types.js';
import { joinTokens, matchingClose, readArgs, substitute } from './expand.js';
import type { MacroDef, ScannedFile, Token } from './scan.js';

const TABLE = '__def_pageflag_names';

export function flagNameTable(scanned: ScannedFile): FlagNameEntry[] {
  const table = scanned.macros.get(TABLE);
  if (!table || table.length !== 1) {
    throw new Error(`${scanned.file}: expected exactly one #define ${TABLE}, found ${table?.length ?? 0}`);
  }
  const [def] = table;
  const entries: FlagNameEntry[] = [];
  const body = def.body;
  for (let i = 0; i < body.length; i++) {
    const t = body[i];
    if (t.text === ',') continue;
    if (t.text === '{') {
      const close = matchingClose(body, i);
      entries.push(entryOf(body.slice(i, close + 1), [], def));
      i = close;
      continue;
    }
    const variants = scanned.macros.get(t.text)?.filter((d) => d.params !== null);
    if (!variants || body[i + 1]?.text !== '(') {
      throw new Error(`${def.file}:${def.line}: unexpected "${t.text}" in ${TABLE}`);
    }
    const { args, close } = readArgs(body, i + 1);
    for (const variant of variants) {
      const expansion = substitute(variant.body, variant.params ?? [], args).filter((x) => x.text !== ',');
      if (expansion.length === 0) continue; // the #else branch that drops the entry
      entries.push(entryOf(expansion, relativeCond(variant.cond, def.cond), variant));
    }
    i = close;
  }
  return entries;
}

/** `{ 1UL << PG_x , "x" }` or `{ 1UL << PG_x , __stringify ( x ) }` */
function entryOf(tokens: readonly Token[], cond: Conditions, def: MacroDef): FlagNameEntry {
  const text = joinTokens(tokens);
  const flag = /\bPG_(\w+)/.exec(text);
  const name = /"([^"]*)"/.exec(text) ?? /\b__stringify \( (\w+) \)/.exec(text);
  if (!flag || !name) throw new Error(`${def.file}:${def.line}: cannot read page flag name entry ${text}`);
  return { flag: flag[1], name: name[1], cond };
}

/** Conditions of a helper macro beyond those of the table itself. */
function relativeCond(cond: Conditions, tableCond: Conditions): Conditions {
  let i = 0;
  while (i < tableCond.length && cond[i] === tableCond[i]) i++;
  return cond.slice(i);
}
