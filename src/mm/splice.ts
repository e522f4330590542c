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
import { filemap_get_read_batch } from './filemap.js';
import { get_user_pages_fast } from './gup.js';
import { mmcache } from './mm_cache.js';
import type { AddressSpace, MmStruct, Vma } from './mm_types.js';
import { called, enter, leave } from './stack.js';

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
    called(k, 'iter_to_pipe', () =>
      called(k, 'iov_iter_get_pages2', () =>
        called(k, '__iov_iter_get_pages_alloc', () => {
          for (const page of get_user_pages_fast(k, mm, vma, from, to, { pin: false, write: false }))
            pipe.bufs.push(page);
        }),
      ),
    ),
  );
}

/**
 * splice(2) from a file: splice_file_to_pipe -> filemap_splice_read() (6.12 mm/filemap.c; 6.1
 * generic_file_splice_read -> filemap_read, the same events): lookup +1, folio_mark_accessed,
 * splice_folio_into_pipe +1, folio_batch_release -1
 */
export function filemap_splice_read(
  k: Kernel,
  pipe: Pipe,
  mapping: AddressSpace,
  from: number,
  to: number,
): void {
  const d = enter(k, '__x64_sys_splice');
  enter(k, 'do_splice');
  enter(k, 'splice_file_to_pipe');
  try {
    called(k, 'filemap_splice_read', () => {
      const f = mmcache(k).f;
      for (let i = from; i <= to; i++) {
        const folio = called(k, 'filemap_get_pages', () => filemap_get_read_batch(k, mapping, i));
        if (folio < 0) throw new Error(`splice: page ${i} of ${mapping.name} is not cached (read it first)`);
        f.folio_set_referenced(folio);
        called(k, 'splice_folio_into_pipe', () => folio_get(k, folio));
        pipe.bufs.push(folio);
        called(k, 'folio_batch_release', () => folio_put(k, folio));
      }
    });
  } finally {
    leave(k, d);
  }
}

/**
 * close(2) of the last end: pipe_release -> free_pipe_info() (fs/pipe.c): each buffer's
 * ->release, page_cache_pipe_buf_release (fs/splice.c; vmsplice's user_page_pipe_buf_ops use
 * it too) -> put_page
 */
export function free_pipe_info(k: Kernel, pipe: Pipe): void {
  const d = enter(k, '__x64_sys_close');
  enter(k, '__fput');
  enter(k, 'pipe_release');
  try {
    called(k, 'free_pipe_info', () => {
      for (const page of pipe.bufs.splice(0))
        called(k, 'page_cache_pipe_buf_release', () => called(k, 'put_page', () => put_page(k, page)));
    });
  } finally {
    leave(k, d);
  }
}
