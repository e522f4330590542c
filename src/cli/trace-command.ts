/** What the trace commands share: reading the trace (progress on stderr), --pfn, exit codes. */
import { InvalidArgumentError } from 'commander';
import { readTrace, type TraceReadResult } from '../trace/reader.js';
import { TraceInputError } from '../trace/source.js';
import { printable } from '../trace/printable.js';

/** commander argParser for --pfn: 0x hex or decimal. */
export function parsePfn(text: string): number {
  const n = /^0x[0-9a-f]+$/i.test(text) ? Number.parseInt(text, 16) : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n))
    throw new InvalidArgumentError(`expected a pfn (0x hex or decimal), got "${text}"`);
  return n;
}

export function parsePositive(text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError(`expected a non-negative number, got "${text}"`);
  return n;
}

/**
 * Reads `file` and runs `body`; returns its exit code, or 2 when the input cannot be read or is
 * not a trace at all (the message goes to stderr, prefixed with the command).
 */
export async function withTrace(
  command: string,
  file: string,
  body: (r: TraceReadResult) => number | Promise<number>,
): Promise<number> {
  const progress = process.stderr.isTTY
    ? (bytes: number, total?: number) => showProgress(file, bytes, total)
    : undefined;
  let r: TraceReadResult;
  try {
    r = await readTrace(file, { onProgress: progress });
  } catch (err) {
    if (!(err instanceof TraceInputError)) throw err;
    process.stderr.write(`folioscope ${command}: ${err.message}\n`);
    return 2;
  }
  if (progress) process.stderr.write('\r\x1b[K');
  if (r.format === 'unknown' && r.unparsed.count > 0) {
    const first = r.unparsed.samples[0];
    process.stderr.write(
      `folioscope ${command}: ${file}: not a trace: none of its ${r.lines} lines is ftrace, trace-cmd report or perf script text` +
        (first ? ` (line ${first.line}: ${printable(first.text.slice(0, 80))})` : '') +
        '\n',
    );
    return 2;
  }
  return body(r);
}

const BAR = 24;

/** `reading FILE [#####.....] 123/229 MiB` on one terminal line (MiB only when the size is unknown). */
function showProgress(file: string, bytes: number, total: number | undefined): void {
  const mib = (n: number) => (n / 1048576).toFixed(0);
  if (total === undefined || total <= 0) {
    process.stderr.write(`\rreading ${file}: ${mib(bytes)} MiB`);
    return;
  }
  const done = Math.min(BAR, Math.round((BAR * bytes) / total));
  process.stderr.write(
    `\rreading ${file} [${'#'.repeat(done)}${'.'.repeat(BAR - done)}] ${mib(bytes)}/${mib(total)} MiB`,
  );
}

export function fail(command: string, message: string): number {
  process.stderr.write(`folioscope ${command}: ${message}\n`);
  return 2;
}
