/**
 * execve, the vDSO, free_reserved_area and fork's vma_needs_copy on a one-CPU machine, row by row
 * (event, val, ret, count, mapcount, flags; pfns named P0, P1... in order of appearance, page
 * tables left out): the sequences the real boot traces show (../shared/traces/<v>/boot, compared
 * page by page in test/scenario/fidelity-boot.test.ts), here on a small executable to read them.
 */
import { describe, expect, it } from 'vitest';
import { show_page_flags } from '../../src/kernel/flag_names.js';
import { pageRefHasRet } from '../../src/kernel/tracepoint.js';
import { parseScenario } from '../../src/scenario/format.js';
import { runScenario } from '../../src/scenario/runner.js';
import { traceProfile } from '../helpers/shared.js';

/** a static executable of 8 pages: header, text, data with bss */
const ELF = `task kw comm=kw cpu=0 kthread
kw open prog shmem 8
kw fwrite prog
kw open script shmem 1
kw fwrite script
drain
elf prog of=prog hdr=0x400:0..0 text=0x401:1..5 data=0x407:6..7:rw+2
`;

/** rows after checkpoint go, pfns named in order of appearance, page tables left out */
function rows(version: '6.1' | '6.12', text: string): string[] {
  const profile = traceProfile(version);
  const r = runScenario(parseScenario(`machine cpus=1\n${text}`, 'exec'), profile);
  const names = new Map<number, string>();
  const tables = new Set(r.events.filter((e) => e.stack.includes('pte_alloc_one')).map((e) => e.record.pfn));
  return r.events
    .slice(r.checkpoints.get('go')!.at)
    .filter((e) => !tables.has(e.record.pfn))
    .map(({ record: x }) => {
      if (!names.has(x.pfn)) names.set(x.pfn, `P${names.size}`);
      const ev = 'SMTRUFZ'[x.type];
      const ret = pageRefHasRet(x.type) ? String(x.ret) : '-';
      return `${names.get(x.pfn)} ${ev} ${x.val} ${ret} ${x.count} ${x.mapcount} ${show_page_flags(profile, x.flagsLo)}`;
    });
}

const EXEC = `${ELF}task init comm=init cpu=0 pid=1 kthread\ninit exec prog strings=2 comm=init\n`;

describe('execve', () => {
  it("kernel_execve of a script: the argument page's gets and puts, both kernel_reads, the drain, padzero (6.1)", () => {
    const text = `${ELF}task init comm=init cpu=0 pid=1 kthread\ncheckpoint go\ninit exec prog strings=2 comm=init script=script script_strings=1\n`;
    expect(rows('6.1', text)).toEqual([
      // the argument page: do_anonymous_page (set 1, lru_add +1), then per string get_arg_page (+1,
      // mark_page_accessed: referenced, then __lru_cache_activate_folio: active in the lru_add batch)
      'P0 S 1 - 1 0 none',
      'P0 M 1 - 2 1 uptodate|mappedtodisk|swapbacked',
      'P0 M 1 - 3 1 uptodate|mappedtodisk|swapbacked',
      'P0 T -1 0 2 1 referenced|uptodate|mappedtodisk|swapbacked',
      'P0 M 1 - 3 1 referenced|uptodate|mappedtodisk|swapbacked',
      'P0 T -1 0 2 1 uptodate|active|mappedtodisk|swapbacked',
      // prepare_binprm reads the script: lookup, folio_activate (+1 into the activate batch), put
      'P1 U 1 1 2 0 referenced|uptodate|dirty|lru|swapbacked',
      'P1 M 1 - 3 0 referenced|uptodate|dirty|lru|swapbacked',
      'P1 T -1 0 2 0 uptodate|dirty|lru|swapbacked',
      // load_script's string, then the interpreter's first page read twice: the second (elf_read at
      // e_phoff) does not mark it accessed
      'P0 M 1 - 3 1 uptodate|active|mappedtodisk|swapbacked',
      'P0 T -1 0 2 1 referenced|uptodate|active|mappedtodisk|swapbacked',
      'P2 U 1 1 2 0 referenced|uptodate|dirty|lru|swapbacked',
      'P2 M 1 - 3 0 referenced|uptodate|dirty|lru|swapbacked',
      'P2 T -1 0 2 0 uptodate|dirty|lru|swapbacked',
      'P2 U 1 1 3 0 uptodate|dirty|lru|swapbacked',
      'P2 T -1 0 2 0 uptodate|dirty|lru|swapbacked',
      // shift_arg_pages' lru_add_drain: the lru_add batch, then the activate batch
      'P0 T -1 0 1 1 referenced|uptodate|lru|active|mappedtodisk|swapbacked',
      'P1 T -1 0 1 0 uptodate|dirty|lru|active|swapbacked',
      'P2 T -1 0 1 0 uptodate|dirty|lru|active|swapbacked',
      // padzero: do_cow_fault on the data segment's last page (the copy's set 1, the lookup, the
      // copy's lru_add, the lookup's put)
      'P3 S 1 - 1 0 none',
      'P4 U 1 1 2 0 referenced|uptodate|dirty|lru|swapbacked',
      'P3 M 1 - 2 1 uptodate|mappedtodisk|swapbacked',
      'P4 T -1 0 1 0 referenced|uptodate|dirty|lru|swapbacked',
    ]);
  });

  it('6.12 the same, with its val=0 folio_ref_add on each new anonymous page', () => {
    const text = `${ELF}task init comm=init cpu=0 pid=1 kthread\ncheckpoint go\ninit exec prog strings=2 comm=init script=script script_strings=1\n`;
    const r = rows('6.12', text);
    expect(r.filter((x) => / M 0 /.test(x))).toEqual(['P0 M 0 - 1 -1 uptodate', 'P3 M 0 - 1 -1 uptodate']);
    expect(r).toHaveLength(25);
  });

  it('a path that does not exist: 6.1 builds and drops the mm (its argument page freed), 6.12 opens the file first', () => {
    const text = `${EXEC}init fork c cpu=0\ncheckpoint go\nc execve_enoent strings=3\n`;
    const r = rows('6.1', text).filter((x) => x.startsWith('P0 '));
    expect(r).toEqual([
      'P0 S 1 - 1 0 none',
      'P0 M 1 - 2 1 uptodate|mappedtodisk|swapbacked',
      'P0 M 1 - 3 1 uptodate|mappedtodisk|swapbacked',
      'P0 T -1 0 2 1 referenced|uptodate|mappedtodisk|swapbacked',
      'P0 M 1 - 3 1 referenced|uptodate|mappedtodisk|swapbacked',
      'P0 T -1 0 2 1 uptodate|active|mappedtodisk|swapbacked',
      'P0 M 1 - 3 1 uptodate|active|mappedtodisk|swapbacked',
      'P0 T -1 0 2 1 referenced|uptodate|active|mappedtodisk|swapbacked',
      // free_bprm -> mmput -> exit_mmap: the drain, then the zap frees it
      'P0 T -1 0 1 1 referenced|uptodate|lru|active|mappedtodisk|swapbacked',
      'P0 T -1 1 0 0 referenced|uptodate|lru|active|mappedtodisk|swapbacked',
    ]);
    expect(rows('6.12', text)).toEqual([]);
  });
});

describe('the vDSO', () => {
  it('each fault takes a reference on the reserved page; fork does not copy it; zap toggles PG_referenced', () => {
    const text = `${EXEC}checkpoint go\ninit read vdso 0\ninit fork c cpu=0\nc read vdso 0\nc exit\n`;
    const vdso = (v: '6.1' | '6.12') => rows(v, text).filter((x) => x.startsWith('P0 '));
    expect(vdso('6.1')).toEqual([
      'P0 M 1 - 2 0 reserved',
      'P0 M 1 - 3 1 reserved',
      'P0 T -1 0 2 1 referenced|reserved',
    ]);
    // 6.12: finish_fault's folio_ref_add(nr - 1) under the lock __do_fault took
    expect(vdso('6.12')).toEqual([
      'P0 M 1 - 2 -1 reserved',
      'P0 M 0 - 2 -1 locked|reserved',
      'P0 M 1 - 3 0 reserved',
      'P0 M 0 - 3 0 locked|reserved',
      'P0 T -1 0 2 0 referenced|reserved',
    ]);
  });
});

describe('free_reserved_area', () => {
  it('each reserved page set to 1 and freed; the next allocation takes the last one freed', () => {
    const text = `machine reserved=3\ntask t comm=t cpu=0\ncheckpoint go\nt free_reserved_area 3\nt mmap a anon 1\nt write a\n`;
    expect(rows('6.1', text)).toEqual([
      'P0 S 1 - 1 0 none',
      'P0 T -1 1 0 0 none',
      'P1 S 1 - 1 0 none',
      'P1 T -1 1 0 0 none',
      'P2 S 1 - 1 0 none',
      'P2 T -1 1 0 0 none',
      'P2 S 1 - 1 0 none',
      'P2 M 1 - 2 1 uptodate|mappedtodisk|swapbacked',
    ]);
  });
});

describe('fork', () => {
  it('vma_needs_copy: a file mapping without an anon_vma is left to the child to fault', () => {
    const text = `${EXEC}init read text 0\ncheckpoint go\ninit fork c cpu=0\nc read text 0\n`;
    // the copy: the argument page and padzero's copy (+1 each); the text pages only by the child's fault-around
    const r = rows('6.1', text);
    expect(r.slice(0, 2)).toEqual([
      'P0 M 1 - 2 1 uptodate|lru|active|mappedtodisk|swapbacked',
      'P1 M 1 - 3 1 uptodate|mappedtodisk|swapbacked',
    ]);
    expect(r.slice(2)).toEqual(
      [2, 3, 4, 5, 6].map((n) => `P${n} U 1 1 3 1 referenced|uptodate|dirty|lru|swapbacked`),
    );
  });
});
