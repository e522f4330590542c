/**
 * The `boot` built-in: ../shared/traces/<v>/boot, from trace_init in start_kernel to /init writing 0
 * to tracing_on. The skeleton below is the kernel's part, written by hand from the traces and the
 * kernels' console logs; the programs /init runs and the kernel-page stand-ins are generated from the
 * real traces (boot_gen.ts, written to boot_programs.ts by scripts/gen-boot.mjs).
 *
 * The kernel's part: the initramfs unpacked into rootfs (tmpfs) by do_populate_rootfs, an async work
 * item on a kworker: 27 regular files, written page by page in cpio order (shmem_write_begin/_end),
 * their sizes read off the 6.12 trace's mapping pointers (1 + 190 + ... + 484 = 2589 pages; the 6.1
 * initramfs has the same count modulo PAGEVEC_SIZE: its 9 last busybox pages are still in CPU 0's
 * lru_add batch when the trace starts); the initrd's pages freed (free_initrd_mem); 6.12's
 * virtio_blk probe reading /dev/vda's partition table from init (read_part_sector, twice); the kernel
 * image's init sections freed (free_initmem, mark_rodata_ro); then kernel_init's
 * run_init_process("/init"): the script's interpreter is busybox, a static ELF whose PT_LOAD
 * segments are read off the fault-around windows (the header page alone, text from file page 1,
 * rodata from 389, data from 474 one page above its file offset, as the windows clamped at each
 * VMA's start and end show).
 *
 * 6.1's trace starts at 1.77 s: the switch to the global trace clock (the TSC found unstable)
 * reset the ring buffer (tracing_set_clock), after the unpacking and the initrd's release, which run
 * here with tracing off.
 */
import type { Profile } from '../kernel/profiles/index.js';
import { show_page_flags } from '../kernel/flag_names.js';
import { BOOT_PROGRAMS } from './boot_programs.js';
import { bootPrograms, inTraceOrder, type BootLayout } from './boot_gen.js';
import { kernelStandIns } from './boot_standins.js';
import { parseScenario, type ElfSegmentSpec } from './format.js';
import type { KeyedTrace } from './page_history.js';
import { simKeyedTrace } from './page_history.js';
import { runScenario } from './runner.js';

/** sizes in pages of the initramfs's regular files, in cpio order; the script is /init, the last busybox */
const INITRAMFS = [
  1, 190, 188, 190, 189, 188, 221, 4, 7, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 104, 1, 33, 187, 38, 471, 53, 484,
];
const INIT_SCRIPT = 20;

const unpack = INITRAMFS.map((pages, i) => {
  const name = i === INIT_SCRIPT ? 'initscript' : i === INITRAMFS.length - 1 ? 'busybox' : `file${i}`;
  return `kw open ${name} shmem ${pages}\nkw fwrite ${name}`;
}).join('\n');

export const BOOT_SKELETON = `scenario boot (../shared/traces/<v>/boot: the kernel from trace_init to /init turning tracing off)
# RAM with memblock's reserved pages first, freed in this order by free_reserved_area: the initrd
# (10340K), the init sections (6.1: 1076K, the text/rodata gap 2044K and the rodata/data gap 324K;
# 6.12: 1200K and the rodata/data gap 132K), as the kernels' console logs report them
machine cpus=2 seed=1 reserved=3446
task kw comm=kworker/u9:1 cpu=1 pid=30 kthread   # do_populate_rootfs, an async work item
task init comm=init cpu=0 pid=1 kthread          # kernel_init, until it execs /init
@6.1 kw cpu 0
@6.1 tracing off
${unpack}
kw free_reserved_area 2585                       # free_initrd_mem
@6.1 tracing on
@6.12,mainline init open vda file 16384          # virtio_blk's add_disk: the partition scan
@6.12,mainline init read_mapping_folio vda 0
@6.12,mainline init read_mapping_folio vda 0
@6.1 init free_reserved_area 269                 # free_initmem
@6.1 init free_reserved_area 511                 # mark_rodata_ro: the text/rodata gap
@6.1 init free_reserved_area 81                  # and the rodata/data gap
@6.12,mainline init cpu 1
@6.12,mainline init free_reserved_area 300       # free_initmem
@6.12,mainline init free_reserved_area 33        # mark_rodata_ro: the rodata/data gap
# busybox, static: hdr, text, rodata and data segments (data one page above its file offset), bss
elf busybox of=busybox hdr=0x400:0..0 text=0x401:1..388 rodata=0x585:389..474 data=0x5db:474..483:rw+8
# ---- generated from the real trace (boot_programs.ts) ----
`;

/** the names the skeleton gives what the generated part refers to */
function layoutOf(profile: Profile): BootLayout {
  const sc = parseScenario(BOOT_SKELETON, 'builtin:boot');
  const elf = sc.statements.find((s) => s.action.op === 'elf')!.action as { segments: ElfSegmentSpec[] };
  const tasks = new Map<string, string>();
  for (const s of sc.statements) if (s.action.op === 'task') tasks.set(s.action.comm, s.action.name);
  const bit = profile.bits.get('anon_exclusive');
  if (bit === undefined) throw new Error(`profile ${profile.name} has no PG_anon_exclusive`);
  return {
    segments: elf.segments,
    pages: INITRAMFS[INITRAMFS.length - 1],
    anonExclusive: show_page_flags(profile, 1 << bit),
    faultAroundIncThenPut: profile.facts.faultAroundRef === 'ref_inc_then_put',
    tasks,
    image: 'busybox',
    script: 'initscript',
    bdev: 'vda',
  };
}

/** which generated part a profile runs: the 6.1 trace's, or the 6.12 one's (6.12 and mainline) */
export type BootTrace = '6.1' | '6.12';
const PREFIX: Record<BootTrace, string> = { '6.1': '@6.1', '6.12': '@6.12,mainline' };

/** a generated part's lines for the profiles that run that trace */
function forProfiles(trace: BootTrace, generated: string): string {
  return generated
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => `${PREFIX[trace]} ${l}`)
    .join('\n');
}

/** the built-in's text: the skeleton, then each trace's generated part for its profiles */
export function bootScenario(): string {
  const parts = (Object.keys(PREFIX) as BootTrace[]).map((v) => forProfiles(v, BOOT_PROGRAMS[v]));
  return `${BOOT_SKELETON}${parts.join('\n')}\n`;
}

/**
 * What scripts/gen-boot.mjs writes for one real boot trace (`real`, run on `profile`): the programs,
 * and the kernel-page stand-ins measured against a run of the skeleton and the programs alone.
 */
export function generateBoot(trace: BootTrace, profile: Profile, real: KeyedTrace): string {
  const layout = layoutOf(profile);
  const { actions, lines } = bootPrograms(real, layout);
  const text = `${BOOT_SKELETON}${forProfiles(trace, inTraceOrder(lines))}\n`;
  const model = simKeyedTrace(runScenario(parseScenario(text, 'builtin:boot'), profile));
  return inTraceOrder([...lines, ...kernelStandIns(real, model, actions, layout)]);
}
