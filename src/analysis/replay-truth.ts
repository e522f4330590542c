/**
 * Ground truth for a replay: saved /proc/kpagecount and /proc/kpageflags (fs/proc/page.c:
 * little-endian u64 per pfn, .gz accepted) and the capture harness's pagemap-pfns.txt (one line
 * per page of the workload's regions, as read from /proc/<pid>/pagemap at a checkpoint).
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { readU64File } from '../explain/kpage-reader.js';

/** Thrown for unreadable or malformed ground-truth files; the message names the file. */
export class TruthInputError extends Error {}

/** A whole kpagecount/kpageflags file, index = pfn. */
export async function readKpageFile(path: string): Promise<BigUint64Array> {
  const parts: BigUint64Array[] = [];
  let n = 0;
  try {
    for await (const b of readU64File(path)) {
      parts.push(b.values);
      n += b.values.length;
    }
  } catch (e) {
    throw new TruthInputError((e as Error).message);
  }
  // a snapshot of no pfns compares nothing: an empty copy, not /proc's file
  if (n === 0) throw new TruthInputError(`${path}: empty, expected a u64 per pfn`);
  const out = new BigUint64Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export interface PagemapEntry {
  /** `### checkpoint-<tag>` section it came from; '' when the file has no sections */
  checkpoint: string;
  region: string;
  pid: number;
  vaddr: number;
  pfn: number;
  present: boolean;
  kpagecount: number;
  kpageflags: bigint;
}

/**
 * pagemap-pfns.txt: `region pid vaddr pfn present swapped file_or_shared_anon exclusive
 * soft_dirty uffd_wp kpagecount kpageflags_hex raw_pagemap`; `#` comments; the top-level file
 * concatenates the checkpoints, each after a `### checkpoint-<tag>` line.
 */
export function parsePagemapPfns(path: string): PagemapEntry[] {
  let text: string;
  try {
    const buf = readFileSync(path);
    text = (path.endsWith('.gz') ? gunzipSync(buf) : buf).toString('utf8');
  } catch (e) {
    throw new TruthInputError(`${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const out: PagemapEntry[] = [];
  let checkpoint = '';
  text.split('\n').forEach((line, n) => {
    const section = /^### checkpoint-(\S+)/.exec(line);
    if (section) checkpoint = section[1];
    if (line === '' || line.startsWith('#')) return;
    const f = line.split(/\s+/);
    if (f.length < 13 || !/^0x[0-9a-f]+$/i.test(f[3]) || !/^0x[0-9a-f]+$/i.test(f[11]))
      throw new TruthInputError(`${path}:${n + 1}: expected 13 pagemap columns, got "${line.slice(0, 80)}"`);
    out.push({
      checkpoint,
      region: f[0],
      pid: Number(f[1]),
      vaddr: Number.parseInt(f[2], 16),
      pfn: Number.parseInt(f[3], 16),
      present: f[4] === '1',
      kpagecount: Number(f[10]),
      kpageflags: BigInt(f[11]),
    });
  });
  return out;
}
