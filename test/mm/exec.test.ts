/**
 * execve, the vDSO, free_reserved_area and fork's vma_needs_copy on a one-CPU machine, row by row
 * (test/helpers/sequence-rows.ts: P the first page, D1, D2... the others): the sequences the real boot traces show (../shared/traces/<v>/boot, compared
 * page by page in test/scenario/fidelity-boot.test.ts), here on a small executable to read them.
 */
import { describe, expect, it } from 'vitest';
import { sequenceRows } from '../helpers/sequence-rows.js';

/** a static executable of 8 pages: header, text, data with bss */
const ELF = `task kw comm=kw cpu=0 kthread
kw open prog shmem 8
kw fwrite prog
kw open script shmem 1
kw fwrite script
drain
elf prog of=prog hdr=0x400:0..0 text=0x401:1..5 data=0x407:6..7:rw+2
`;

const INIT = `${ELF}task init comm=init cpu=0 pid=1 kthread`;
const EXEC = `${INIT}\ninit exec prog strings=2 comm=init`;
const SCRIPT_EXEC = 'init exec prog strings=2 comm=init script=script script_strings=1';
/** sequenceRows, page tables left out */
const rows = sequenceRows;

describe('execve', () => {
  it("kernel_execve of a script: the argument page's gets and puts, both kernel_reads, the drain, padzero (6.1)", () => {
    expect(rows('6.1', INIT, SCRIPT_EXEC)).toEqual([
      // the argument page: do_anonymous_page (set 1, lru_add +1), then per string get_arg_page (+1,
      // mark_page_accessed: referenced, then __lru_cache_activate_folio: active in the lru_add batch)
      'P S 1 - 1 0 none',
      'P M 1 - 2 1 uptodate|mappedtodisk|swapbacked',
      'P M 1 - 3 1 uptodate|mappedtodisk|swapbacked',
      'P T -1 0 2 1 referenced|uptodate|mappedtodisk|swapbacked',
      'P M 1 - 3 1 referenced|uptodate|mappedtodisk|swapbacked',
      'P T -1 0 2 1 uptodate|active|mappedtodisk|swapbacked',
      // prepare_binprm reads the script: lookup, folio_activate (+1 into the activate batch), put
      'D1 U 1 1 2 0 referenced|uptodate|dirty|lru|swapbacked',
      'D1 M 1 - 3 0 referenced|uptodate|dirty|lru|swapbacked',
      'D1 T -1 0 2 0 uptodate|dirty|lru|swapbacked',
      // load_script's string, then the interpreter's first page read twice: the second (elf_read at
      // e_phoff) does not mark it accessed
      'P M 1 - 3 1 uptodate|active|mappedtodisk|swapbacked',
      'P T -1 0 2 1 referenced|uptodate|active|mappedtodisk|swapbacked',
      'D2 U 1 1 2 0 referenced|uptodate|dirty|lru|swapbacked',
      'D2 M 1 - 3 0 referenced|uptodate|dirty|lru|swapbacked',
      'D2 T -1 0 2 0 uptodate|dirty|lru|swapbacked',
      'D2 U 1 1 3 0 uptodate|dirty|lru|swapbacked',
      'D2 T -1 0 2 0 uptodate|dirty|lru|swapbacked',
      // shift_arg_pages' lru_add_drain: the lru_add batch, then the activate batch
      'P T -1 0 1 1 referenced|uptodate|lru|active|mappedtodisk|swapbacked',
      'D1 T -1 0 1 0 uptodate|dirty|lru|active|swapbacked',
      'D2 T -1 0 1 0 uptodate|dirty|lru|active|swapbacked',
      // padzero: do_cow_fault on the data segment's last page (the copy's set 1, the lookup, the
      // copy's lru_add, the lookup's put)
      'D3 S 1 - 1 0 none',
      'D4 U 1 1 2 0 referenced|uptodate|dirty|lru|swapbacked',
      'D3 M 1 - 2 1 uptodate|mappedtodisk|swapbacked',
      'D4 T -1 0 1 0 referenced|uptodate|dirty|lru|swapbacked',
    ]);
  });

  it('6.12 the same, with its val=0 folio_ref_add on each new anonymous page', () => {
    const r = rows('6.12', INIT, SCRIPT_EXEC);
    expect(r.filter((x) => / M 0 /.test(x))).toEqual(['P M 0 - 1 -1 uptodate', 'D3 M 0 - 1 -1 uptodate']);
    expect(r).toHaveLength(25);
  });

  it('a path that does not exist: 6.1 builds and drops the mm (its argument page freed), 6.12 opens the file first', () => {
    const setup = `${EXEC}\ninit fork c cpu=0`;
    const r = rows('6.1', setup, 'c execve_enoent strings=3').filter((x) => x.startsWith('P '));
    expect(r).toEqual([
      'P S 1 - 1 0 none',
      'P M 1 - 2 1 uptodate|mappedtodisk|swapbacked',
      'P M 1 - 3 1 uptodate|mappedtodisk|swapbacked',
      'P T -1 0 2 1 referenced|uptodate|mappedtodisk|swapbacked',
      'P M 1 - 3 1 referenced|uptodate|mappedtodisk|swapbacked',
      'P T -1 0 2 1 uptodate|active|mappedtodisk|swapbacked',
      'P M 1 - 3 1 uptodate|active|mappedtodisk|swapbacked',
      'P T -1 0 2 1 referenced|uptodate|active|mappedtodisk|swapbacked',
      // free_bprm -> mmput -> exit_mmap: the drain, then the zap frees it
      'P T -1 0 1 1 referenced|uptodate|lru|active|mappedtodisk|swapbacked',
      'P T -1 1 0 0 referenced|uptodate|lru|active|mappedtodisk|swapbacked',
    ]);
    expect(rows('6.12', setup, 'c execve_enoent strings=3')).toEqual([]);
  });
});

describe('the vDSO', () => {
  it('each fault takes a reference on the reserved page; fork does not copy it; zap toggles PG_referenced', () => {
    const act = 'init read vdso 0\ninit fork c cpu=0\nc read vdso 0\nc exit';
    const vdso = (v: '6.1' | '6.12') => rows(v, EXEC, act).filter((x) => x.startsWith('P '));
    expect(vdso('6.1')).toEqual([
      'P M 1 - 2 0 reserved',
      'P M 1 - 3 1 reserved',
      'P T -1 0 2 1 referenced|reserved',
    ]);
    // 6.12: finish_fault's folio_ref_add(nr - 1) under the lock __do_fault took
    expect(vdso('6.12')).toEqual([
      'P M 1 - 2 -1 reserved',
      'P M 0 - 2 -1 locked|reserved',
      'P M 1 - 3 0 reserved',
      'P M 0 - 3 0 locked|reserved',
      'P T -1 0 2 0 referenced|reserved',
    ]);
  });
});

describe('free_reserved_area', () => {
  it('each reserved page set to 1 and freed; the next allocation takes the last one freed', () => {
    expect(rows('6.1', '', 't free_reserved_area 3\nt mmap a anon 1\nt write a', 'reserved=3')).toEqual([
      'P S 1 - 1 0 none',
      'P T -1 1 0 0 none',
      'D1 S 1 - 1 0 none',
      'D1 T -1 1 0 0 none',
      'D2 S 1 - 1 0 none',
      'D2 T -1 1 0 0 none',
      'D2 S 1 - 1 0 none',
      'D2 M 1 - 2 1 uptodate|mappedtodisk|swapbacked',
    ]);
  });
});

describe('fork', () => {
  it('vma_needs_copy: a file mapping without an anon_vma is left to the child to fault', () => {
    // the copy: the argument page and padzero's copy (+1 each); the text pages only by the child's fault-around
    const r = rows('6.1', `${EXEC}\ninit read text 0`, 'init fork c cpu=0\nc read text 0');
    expect(r.slice(0, 2)).toEqual([
      'P M 1 - 2 1 uptodate|lru|active|mappedtodisk|swapbacked',
      'D1 M 1 - 2 1 uptodate|lru|mappedtodisk|swapbacked',
    ]);
    expect(r.slice(2)).toEqual(
      [2, 3, 4, 5, 6].map((n) => `D${n} U 1 1 3 1 referenced|uptodate|dirty|lru|swapbacked`),
    );
  });
});
