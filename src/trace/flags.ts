/**
 * Turning `flags=` text into PG_ bits needs the kernel profile (bit numbers differ per version and
 * config, and trace-cmd/perf print some or all bits as hex: reference §2.5). The readers only keep
 * the raw text interned; a profile supplies this decoder.
 */
export interface FlagsDecoder {
  /**
   * `lo` = the flags word (bits below 32; the text never carries more, PAGEFLAGS_MASK), `unknown` =
   * names the profile does not know. undefined when the text is not a flags rendering at all.
   */
  decode(text: string): { lo: number; unknown: string[] } | undefined;
}
