import { bootScenario } from './boot.js';

/**
 * Built-in scenarios, in the scenario format (src/scenario/format.ts). `fork_cow` replays the real
 * workload of ../shared/traces/<v>/fork_cow (fork_cow.c: 256 pages, fork, the child writes every
 * other page); its `@profile` lines stand for what the workload's process had already queued in its
 * CPU's lru_add batch when the traced region was touched (exec, ld.so, libc): 12 pages on 6.12 and
 * 11 on 6.1, read off the real traces (the batch drains at 31/15 entries, and the 20 (6.12) / 12
 * (6.1) last pages of the region were still queued at fork).
 *
 * `compaction` (compaction.c) needs the machine's free memory as the real one had it, since
 * compaction's free scanner only takes free pages from partly used pageblocks: pcp_high=7005 is
 * the real zone's pagesets high (zoneinfo.txt), which keeps the 6144 pages MADV_DONTNEED releases
 * on CPU 0's PCP list, out of the scanner's sight; and gtrun's `rest`, mapped in the checkpoint's
 * untraced gap, stands for what else the machine had allocated: its 24000 pages (381 PCP refills
 * of 63 on top of the workload's 163) end what the allocator has handed out 32 pages before a
 * pageblock's end, which leaves exactly the one free block the real free scanner found (0x147e0,
 * order 5, the last 32 pages of its pageblock). `migration_blocked` needs no stand-in: its
 * /dev/vda page cache is UNMOVABLE (GFP_USER) and sits in its own pageblock below the anon and
 * tmpfs pages, whose pageblock is the highest one partly used, where compaction's free scanner
 * starts; so compact_memory reaches the /dev/vda pages and not the anon or tmpfs ones, as in the
 * real runs. `boot` is built in boot.ts: a hand-written skeleton of the kernel's part, and the
 * programs /init runs and the kernel-page stand-ins generated from the real boot traces.
 */
export const BUILTINS: Readonly<Record<string, string>> = {
  boot: bootScenario(),
  seed002: `scenario seed 002: one anonymous page, fork, the child writes it, both exit
machine cpus=1
task A comm=demo cpu=0
A mmap page anon 1
A write page
A fork B cpu=0
B write page
B exit
A exit
`,
  fork_cow: `scenario fork_cow (../shared/traces/<v>/fork_cow/fork_cow.c, ./fork_cow 256 1)
machine cpus=2 seed=1
task parent comm=fork_cow cpu=1
parent mmap setup anon 16       # the process's own pages before the workload (stack, heap, libc data)
@6.12,mainline parent write setup 0..11
@6.1 parent write setup 0..10
parent mmap a anon 256
parent mmap z anon 16
parent write a
parent read z                   # maps the shared zero page: no page_ref events
parent fork child cpu=0
child write a 0..255 step=2     # 128 COW faults
checkpoint cow
child exit
checkpoint after_child_exit
parent munmap a
parent munmap z
parent exit
`,
  migration_blocked: `scenario migration_blocked (../shared/traces/<v>/migration_blocked/migration_blocked.c, 64 /dev/vda)
machine cpus=2 seed=1
task mb comm=migration_block cpu=1
# what the process had queued in its CPU's lru_add batch (exec, ld.so, libc), read off the real
# traces: the 5th (6.1) / 23rd (6.12) anon page drains it
mb mmap setup anon 16
@6.1 mb write setup 0..10
@6.12,mainline mb write setup 0..8
# the real mappings start at PTE 61 (6.1) / 219 (6.12) of their page table (pagemap-pfns.txt),
# so the fault-around windows overlap as they did
@6.1 mb mmap pad anon 371
@6.12,mainline mb mmap pad anon 213
mb mmap anon anon 64
mb mmap tmpfs shmem 64
mb open vda file 16384           # /dev/vda: 64 MiB
mb mmap bdev file 128 of=vda
# the workload's gt_marker() texts (the real ones add the target node), so the run is windowed
# as the real trace is
mark migration_blocked: touch anon, tmpfs, bdev pages
mb write anon
mb write tmpfs
mb read bdev
mb pipe pa
mb pipe ps
mb pipe pb
mark migration_blocked: vmsplice anon + tmpfs pages into pipes, splice bdev page cache into pipe (refs held)
mb vmsplice anon pa
mb vmsplice tmpfs ps
mb splice bdev pb 0..63
# printf() and gt_checkpoint() then fault in new anon pages (stdio buffer, heap): 3 (6.1) / 4
# (6.12) more entries in the CPU's lru_add batch, read off the real traces
mb mmap heap anon 4
@6.1 mb write heap 0..2
@6.12,mainline mb write heap 0..3
mark GT_CHECKPOINT_BEGIN pinned
checkpoint pinned
mb pages_node anon               # do_move(): cur_node()'s move_pages(nodes NULL), then move_pages
mark migration_blocked: move_pages anon_pinned
mb migrate anon                  # the pipe's reference blocks every page
mb pages_node tmpfs
mark migration_blocked: move_pages tmpfs_pinned
mb migrate tmpfs
mark migration_blocked: compact_memory with refs held
mb compact
mark migration_blocked: MADV_PAGEOUT bdev mapping (first half pinned by pipe, second half not)
mb reclaim bdev                  # 64 pinned pages fail __remove_mapping's freeze
mark GT_CHECKPOINT_BEGIN after_blocked_attempts
checkpoint after_blocked_attempts
mark migration_blocked: drain/close pipes (drop extra refs)
mb close pa
mb close ps
mb close pb
mb read bdev
mb pages_node anon
mark migration_blocked: move_pages anon_released
mb migrate anon
mb pages_node tmpfs
mark migration_blocked: move_pages tmpfs_released
mb migrate tmpfs
mark migration_blocked: MADV_PAGEOUT bdev mapping again (no pins)
mb reclaim bdev
mark migration_blocked: compact_memory without extra refs
mb compact
mark GT_CHECKPOINT_BEGIN after_release
checkpoint after_release
mb munmap anon
mb munmap tmpfs
mb munmap bdev
mb truncate tmpfs                # close(fd) + unlink: shmem_evict_inode
mb truncate vda                  # close(bfd), the last opener: kill_bdev
mb exit
`,
  thp: `scenario thp (../shared/traces/<v>/thp/thp.c, ./thp 2)
machine cpus=2 seed=1
task parent comm=thp cpu=1
parent mmap thp anon 1024       # first mapping: its start is 2 MiB aligned, like thp.c's aligned a
parent madvise thp hugepage
parent write thp                # touch_write: two PMD faults (set 1, flags none; +1, drained at once -1)
checkpoint thp_touched
parent fork child cpu=0         # copy_huge_pmd: +1 per THP
child write thp 3..3            # PMD split in the child (+511) and a COW of one page
checkpoint thp_forked
child exit                      # PTE runs of the first THP (-3, -508), the second's PMD (-1)
parent munmap thp 640..895      # 1 MiB in the middle of the second THP: PMD split (+511), -256;
                                # the folio is queued for deferred split, not split
checkpoint thp_partial_unmap
parent munmap thp               # first THP's PMD (-1, freed); second: -128, -128 (freed, unqueued)
# 6.12: thp.c's mTHP part, with hugepages-64kB/enabled=always (6.1 printed "no mTHP knob")
@6.12,mainline sysfs hugepages-64kB always
@6.12,mainline parent mmap pad anon 342     # puts m where the real one was (0x7ff6667aa000): 10 pages
                                            # past a 64 KiB boundary, 86 below a 2 MiB one
@6.12,mainline parent mmap m anon 256
@6.12,mainline parent write m   # 6 order-0 pages; 15 order-4 folios (set 1, +15, +1, drained -1);
                                # the last 10 pages order-0 again (their 64 KiB block leaves m)
@6.12,mainline parent fork child2 cpu=0     # +1 per small page, one +16 per order-4 folio
@6.12,mainline child2 write m 0..0          # m[0] = 1: COW of a small page
@6.12,mainline child2 write m 33..33        # m[65536 * 2 + 4096] = 2: COW of one page of an order-4
                                            # folio (+1, new page, -1, -1; large folios are never reused)
@6.12,mainline child2 exit      # runs: -16 per folio, -11 and -4 around the copied page
@6.12,mainline checkpoint mthp64k
@6.12,mainline parent munmap m  # drain, then -1 per small page and -16 per order-4 folio (freed)
@6.12,mainline sysfs hugepages-64kB never
parent exit
`,
  reclaim: `scenario reclaim: anon and file pages on a 16 MiB machine with an SSD swap device, more than fits
machine pages=8192 cpus=2 seed=1 swap=4096
# 4096 pages for the buddy (min/low/high watermarks 128/160/192); the LRU is the config's: the
# multi-gen LRU on Debian 6.12 and mainline (CONFIG_LRU_GEN_ENABLED), the classic lists on Debian
# 6.1 and the traces' QEMU kernels (lru_gen=y or lru_gen=n on this line says otherwise)
task p comm=reclaim cpu=0
p mmap file file 512
p mmap anon anon 4096
p read file                     # read faults: the block device's pages read in and mapped
p write anon                    # direct reclaim: file pages dropped, anon pages swapped out
checkpoint reclaimed
p read anon 0..255              # swap-in: VMA readahead, VM_FAULT_RETRY while a read is pending
p write anon 256..511           # write faults free the swap cache at once (should_try_to_free_swap)
p reclaim_memory 256            # echo 1M > memory.reclaim
checkpoint reclaimed_again
p exit                          # zap: free_swap_and_cache of every swap entry left
`,
  thp_migration: `scenario thp_migration (no real capture migrates a THP: the events follow mm/migrate.c)
machine cpus=2 seed=1
task t comm=thp_migration cpu=1
t mmap a anon 512
t madvise a hugepage
t write a                       # one PMD THP
t migrate a                     # move_pages(2) of its 512 pages: page 0 isolates the THP (+1 on the head),
                                # page 1 finds it isolated and migrates it whole (the PMD becomes one
                                # migration entry: -1; remove_migration_pmd: +1 on dst); pages 2..511 find
                                # it on the target node (6.1: follow_page +1/-1 each)
t mmap b anon 512
t madvise b hugepage
t write b
t pipe p
t vmsplice b p 7..7             # the pipe holds a reference on b's head
t migrate b                     # blocked: every move pass fails (-EAGAIN; 6.12 3 ASYNC + 7 SYNC, 6.1 10,
                                # each unmapped and remapped), never split; put back; move_pages stops
t close p
t migrate b                     # the pipe's reference gone, it moves
@6.12,mainline sysfs hugepages-64kB always
@6.12,mainline t mmap m anon 64
@6.12,mainline t write m        # four 64 KiB folios
@6.12,mainline t munmap m 4..7  # the first one partially mapped: on the deferred split queue
@6.12,mainline t migrate m      # the first is split before migrating (migrate_pages_batch) and its 12
                                # mapped pieces move; the other three move whole (16 x -1, 16 x +1)
@6.12,mainline sysfs hugepages-64kB never
t exit
`,
  file_mmap: `scenario file_mmap (../shared/traces/<v>/file_mmap/file_mmap.c, ./file_mmap 128 /dev/vda 1)
machine cpus=2 seed=1
task fm comm=file_mmap cpu=0    # the 6.1 run was on CPU 1: the same per-CPU batches, mirrored
# what the process had queued in its CPU's lru_add batch when the workload began (exec, ld.so,
# libc, the malloc'd buffer's memset), read off the real traces: the first tmpfs page drains the
# batch as its 11th (6.1, PAGEVEC_SIZE 15) / 17th (6.12, 31) entry
fm mmap setup anon 16
@6.1 fm write setup 0..4
@6.12,mainline fm write setup 0..13
# the real mappings start at these PTEs of their page tables (pagemap-pfns.txt): tmpfs_shared at
# 26 (6.1) / 459 (6.12), the next two 128 pages below; so the first fault-around window runs from
# the VMA start to 16 pages on, overlapping the next, aligned one, and 6.12's tmpfs_shared spans
# two page tables (two zap_pte_range flushes at munmap)
@6.1 fm mmap pad anon 342
@6.12,mainline fm mmap pad anon 421
fm mmap tmpfs_shared shmem 128
fm fwrite tmpfs_shared          # write(fd, buf, len) into the new tmpfs file
fm mmap tmpfs_private shmem 128 private of=tmpfs_shared
fm read tmpfs_shared            # fault-around maps the cached pages
fm read tmpfs_private
fm write tmpfs_shared 0..63
fm write tmpfs_private 64..127  # COW into anon pages
fm open bdev file 16384         # /dev/vda: 64 MiB
fm fread bdev 0..127            # pread() of the first 128 pages: readahead of 0..127, then 128..255
fm mmap bdev_shared_ro file 128 of=bdev at=128
fm read bdev_shared_ro          # the first fault meets 128's PG_readahead: 256..383 read, retry
checkpoint mapped
fm munmap tmpfs_shared
fm munmap tmpfs_private
fm munmap bdev_shared_ro
fm mmap tmpfs_shared_remap shmem 128 of=tmpfs_shared   # the hole tmpfs_shared left
fm read tmpfs_shared_remap
checkpoint remapped
fm munmap tmpfs_shared_remap
fm truncate tmpfs_shared        # close + unlink: shmem_evict_inode
fm truncate bdev                # close(bfd), the last opener: kill_bdev
fm drop_caches                  # nothing left of either file
fm exit
`,
  soak: `scenario soak (../shared/traces/6.1/soak/soak.sh 40: fork_cow, file_mmap, dd, a tmpfs write; thp + compact_memory every 10th)
machine cpus=2 seed=1
# soak.sh's shell (CPU 0): the tmpfs files /tmp/soak.0 .. 7, each written by \`echo > \` (O_TRUNC)
task sh comm=sh cpu=0
repeat 8 f
sh open soak{f} shmem 1
end
# the shell's own anon pages: after each fork its next writes queue new pages on CPU 0 (3 a pass,
# read off the real trace: the echo's page is the 4th entry while /tmp/soak.N is new)
sh mmap cow anon 120
repeat 40 i
# ls -la /bin: forked and exec'd on CPU 0; exec's mmput of the forked mm drains CPU 0's batch
# (6.1 mm/mmap.c:exit_mmap lru_add_drain), which takes the last pass's /tmp/soak.N page off it
sh fork ls{i} cpu=0
ls{i} exit
# cat /bin/busybox, sh -c '...': exec'd busybox applets (not modelled)
# /w/fork_cow 64 2: exec'd on CPU 1; after each fork the parent wakes on CPU 0
task fc{i} comm=fork_cow cpu=1
fc{i} mmap setup anon 16
fc{i} write setup 0..10
repeat 2 r
mark fork_cow: touching 64 pages
fc{i} mmap a{r} anon 64
fc{i} madvise a{r} nohugepage
fc{i} mmap z{r} anon 16
fc{i} write a{r}
fc{i} read z{r}
mark fork_cow: fork
fc{i} fork fc{i}c{r} cpu={r}
# the first child (CPU 0) copies 6 of the parent's pages (stack, libc data) before its first write
# to a: its first copy is the 7th entry after ls's drain in every pass of the real trace; the second
# child's first copy opens CPU 1's batch (fitted: 6 and 0 read off the trace, not derived)
if {r} = 0
fc{i}c{r} write setup 0..5
end
fc{i}c{r} write a{r} 0..63 step=2
mark fork_cow: child wrote 32 pages
fc{i} cpu 0
if {r} = 0
mark GT_CHECKPOINT_BEGIN cow
end
fc{i}c{r} exit
mark fork_cow: child reaped; parent still holds 64 pages
if {r} = 0
mark GT_CHECKPOINT_BEGIN after_child_exit
end
fc{i} munmap a{r}
fc{i} munmap z{r}
end
fc{i} exit
# /w/file_mmap 32 /dev/vda 1 (CPU 1)
task fm{i} comm=file_mmap cpu=1
# exec, ld.so, libc, the buffer's memset: the first tmpfs page is the 13th entry of CPU 1's batch
# in most passes of the real trace (12 to 14: the mode, fitted; the standalone run has 5)
fm{i} mmap setup anon 16
fm{i} write setup 0..11
mark file_mmap: write tmpfs file 32 pages
fm{i} mmap fmfile{i} shmem 32
fm{i} fwrite fmfile{i}
fm{i} mmap fmpriv{i} shmem 32 private of=fmfile{i}
mark file_mmap: read shared+private mappings
fm{i} read fmfile{i}
fm{i} read fmpriv{i}
mark file_mmap: write shared (first half) and private (second half -> COW anon)
fm{i} write fmfile{i} 0..15
fm{i} write fmpriv{i} 16..31
fm{i} open bdev{i} file 16384
mark file_mmap: pread 32 pages from /dev/vda
fm{i} fread bdev{i} 0..31
fm{i} mmap fmbdev{i} file 32 of=bdev{i} at=32
fm{i} read fmbdev{i}
mark GT_CHECKPOINT_BEGIN mapped
mark file_mmap: munmap
fm{i} munmap fmfile{i}
fm{i} munmap fmpriv{i}
fm{i} munmap fmbdev{i}
fm{i} mmap fmremap{i} shmem 32 of=fmfile{i}
fm{i} read fmremap{i}
mark GT_CHECKPOINT_BEGIN remapped
fm{i} munmap fmremap{i}
mark file_mmap: unlink tmpfs file
fm{i} truncate fmfile{i}         # close(fd), unlink: shmem_evict_inode
fm{i} truncate bdev{i}           # close(bfd), the last opener: kill_bdev
mark file_mmap: drop_caches
fm{i} drop_caches
fm{i} exit
# dd if=/dev/vda of=/dev/null bs=64k count=16 skip=i%64 (CPU 1): 16 read()s of 16 pages
task dd{i} comm=dd cpu=1
# dd's exec, ld.so, libc: its first page cache page is the 6th entry of CPU 1's batch in every pass
dd{i} mmap setup anon 16
dd{i} write setup 0..4
dd{i} open vda{i} file 16384
# its 64 KiB buffer, first touched by the first read()'s copy (the stack run: a write fault per
# page under copy_page_to_iter, after the batch's lookups)
dd{i} mmap buf anon 16
repeat 16 b
dd{i} fread vda{i} {i%64*16+b*16}..{i%64*16+b*16+15} into=buf
end
dd{i} truncate vda{i}
dd{i} exit
sh write cow {i*3}..{i*3+2}
# echo "soak $i" > /tmp/soak.(i % 8): O_TRUNC frees the page the file had (from pass 8 on; its
# folio_batch_release drains CPU 0's batch first: 6.1 mm/shmem.c:shmem_undo_range, mm/swap.c:
# __pagevec_release), write() a new one
sh truncate soak{i%8}
sh fwrite soak{i%8}
if {i%10} = 0
# /w/thp 1 (CPU 1): one PMD THP, fork, the child's COW of one page (no partial munmap with 1)
task thp{i} comm=thp cpu=1
thp{i} mmap thp anon 512
thp{i} madvise thp hugepage
mark thp: touching 1 x 2MiB
thp{i} write thp
mark GT_CHECKPOINT_BEGIN thp_touched
mark thp: fork
thp{i} fork thpc{i} cpu=0
thpc{i} write thp 3..3
mark thp: child wrote one page in first THP
mark GT_CHECKPOINT_BEGIN thp_forked
thpc{i} exit
mark GT_CHECKPOINT_BEGIN thp_partial_unmap
mark thp: munmap all
thp{i} munmap thp
thp{i} exit
# echo 1 > /proc/sys/vm/compact_memory
sh compact
end
end
# rm -f /tmp/soak.*: rm runs on CPU 1 in the real trace, so its truncations' folio_batch_release
# drains CPU 1, not CPU 0's batch that still holds the last pass's /tmp/soak.N page
task rm comm=rm cpu=1
repeat 8 f
rm truncate soak{f}
end
sh munmap cow
`,
  compaction: `scenario compaction (../shared/traces/<v>/compaction/compaction.c, ./compaction 8192)
machine pages=393216 cpus=2 seed=1 pcp_high=7005  # node 0's zone of the real guest
task gt comm=gtrun cpu=1
task cmp comm=compaction cpu=0
cmp mmap a anon 8192
cmp madvise a nohugepage
cmp write a                      # touch_write
cmp mmap s shmem 2048            # /tmp/cmp_file, ftruncate to len / 4, MAP_SHARED
cmp write s
cmp madvise a dontneed keep=4    # one madvise per page i, i % 4 != 0
checkpoint before_compact
tracing off                      # the checkpoint's gap in the real trace
gt mmap rest anon 24000          # the rest of the machine (see above)
gt write rest
tracing on
cmp compact
checkpoint after_compact
cmp munmap a
cmp munmap s
cmp truncate s                   # close + unlink: shmem_evict_inode
cmp exit
`,
};
