/**
 * Pipes holding page references (fs/splice.c, fs/pipe.c): vmsplice of user memory takes a FOLL_GET
 * reference per page through GUP-fast (iter_to_pipe -> iov_iter_get_pages2); splice from a file
 * (filemap_splice_read) looks folios up in batches (+1), marks them accessed, gives the pipe
 * buffer its own folio_get (+1) and drops the lookup reference (-1). Closing the pipe releases every buffer
 * (pipe_buf_release -> put_page, -1).
 */
import type { Kernel } from '../kernel/kernel.js';
import type { Pfn } from '../kernel/mem_map.js';
import { folio_get, put_page } from '../kernel/mm_ref.js';
import { filemap_get_pages, filemap_read_iter } from './filemap.js';
import { get_user_pages_fast } from './gup.js';
import { read_end_io } from './readahead.js';
import { folio_batch_release, folio_mark_accessed } from './swap.js';
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
 * splice(2) from a file: splice_file_to_pipe -> 6.12 filemap_splice_read() (mm/filemap.c:2894):
 * per filemap_get_pages batch (readahead as for read()), folio_mark_accessed and
 * splice_folio_into_pipe (+1) each, ra->prev_pos, folio_batch_release (lru_add_drain, -1 each);
 * 6.1 generic_file_splice_read() (fs/splice.c:297) runs filemap_read() into the pipe
 * (copy_page_to_iter +1, folio_put -1). The reads it started complete before it returns.
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
      const into = (folio: Pfn) => {
        called(k, 'splice_folio_into_pipe', () => folio_get(k, folio));
        pipe.bufs.push(folio);
      };
      if (k.profile.facts.fileSpliceRead === 'filemap_read') {
        filemap_read_iter(k, mapping, from, to, into);
        return;
      }
      for (let pos = from; pos <= to;) {
        const batch = filemap_get_pages(k, mapping, pos, to + 1);
        for (const folio of batch) {
          folio_mark_accessed(k, folio);
          into(folio);
          pos = k.mem.index[folio] + 1;
          mapping.ra.prevPos = pos * 4096;
        }
        folio_batch_release(k, batch);
      }
    });
  } finally {
    leave(k, d);
  }
  read_end_io(k);
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
