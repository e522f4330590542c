/**
 * Pipes holding page references (fs/splice.c, fs/pipe.c): vmsplice of user memory takes a FOLL_GET
 * reference per page through GUP-fast (iter_to_pipe -> iov_iter_get_pages2); splice from a file
 * (filemap_splice_read) looks each folio up (+1), marks it accessed, gives the pipe buffer its own
 * folio_get (+1) and drops the lookup reference (-1). Closing the pipe releases every buffer
 * (pipe_buf_release -> put_page, -1).
 */
import type { Kernel } from '../kernel/kernel.js';
import type { Pfn } from '../kernel/mem_map.js';
import { folio_get, folio_put, put_page } from '../kernel/mm_ref.js';
import { filemap_get_entry } from './filemap.js';
import { get_user_pages_fast } from './gup.js';
import { mmcache } from './mm_cache.js';
import type { AddressSpace, MmStruct, Vma } from './mm_types.js';
import { called } from './stack.js';

export interface Pipe {
  readonly name: string;
  /** the page of each pipe_buffer, in order */
  readonly bufs: Pfn[];
}

/** vmsplice_to_pipe() -> iter_to_pipe() (fs/splice.c:1451): FOLL_GET, not FOLL_PIN */
export function vmsplice_to_pipe(
  k: Kernel,
  pipe: Pipe,
  mm: MmStruct,
  vma: Vma,
  from: number,
  to: number,
): void {
  called(k, '__do_sys_vmsplice', () =>
    called(k, 'iter_to_pipe', () => {
      for (const page of get_user_pages_fast(k, mm, vma, from, to, { pin: false, write: false }))
        pipe.bufs.push(page);
    }),
  );
}

/** filemap_splice_read() (mm/filemap.c): lookup +1, folio_mark_accessed, splice_folio_into_pipe +1, put -1 */
export function filemap_splice_read(
  k: Kernel,
  pipe: Pipe,
  mapping: AddressSpace,
  from: number,
  to: number,
): void {
  called(k, 'filemap_splice_read', () => {
    const f = mmcache(k).f;
    for (let i = from; i <= to; i++) {
      const folio = called(k, 'filemap_get_pages', () => filemap_get_entry(k, mapping, i));
      if (folio < 0) throw new Error(`splice: page ${i} of ${mapping.name} is not cached (read it first)`);
      f.folio_set_referenced(folio);
      called(k, 'splice_folio_into_pipe', () => folio_get(k, folio));
      pipe.bufs.push(folio);
      folio_put(k, folio);
    }
  });
}

/** free_pipe_info() on the last close: pipe_buf_release() of every buffer */
export function free_pipe_info(k: Kernel, pipe: Pipe): void {
  called(k, 'free_pipe_info', () => {
    for (const page of pipe.bufs.splice(0)) called(k, 'pipe_buf_release', () => put_page(k, page));
  });
}
