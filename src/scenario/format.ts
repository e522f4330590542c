/**
 * The scenario format: one statement per line, `#` comments, so every error names its line.
 *
 *   machine pages=<n> cpus=<n> seed=<n>      RAM in 4 KiB pages, CPUs, scheduler seed (all optional)
 *   task <name> comm=<comm> [cpu=<n>]         a new process (exec'd, empty address space)
 *   <task> mmap <region> anon <pages>         a private anonymous mapping
 *   <task> write|read <region> [<a>..<b>] [step=<n>]   touch pages (default: all)
 *   <task> madvise <region> dontfork          MADV_DONTFORK
 *   <task> fork <child> [cpu=<n>]             the child shares the parent's pages copy-on-write
 *   <task> munmap <region>
 *   <task> exit
 *   drain                                     lru_add_drain_all()
 *   checkpoint <tag>                          record every task's region -> pfn lists
 *
 * A line may start with `@<profile>[,<profile>]` to apply to those profiles only, e.g. work a real
 * workload's process did before the traced part, which differs per kernel.
 */
import type { ProfileName } from '../kernel/profiles/types.js';

export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly detail: string,
  ) {
    super(`${file}:${line}: ${detail}`);
  }
}

export type Action =
  | { op: 'task'; name: string; comm: string; cpu?: number }
  | { op: 'mmap'; task: string; region: string; pages: number }
  | { op: 'touch'; task: string; region: string; write: boolean; from?: number; to?: number; step: number }
  | { op: 'madvise'; task: string; region: string; advice: 'dontfork' }
  | { op: 'fork'; task: string; child: string; cpu?: number }
  | { op: 'munmap'; task: string; region: string }
  | { op: 'exit'; task: string }
  | { op: 'drain' }
  | { op: 'checkpoint'; tag: string };

export interface Statement {
  line: number;
  profiles?: readonly ProfileName[];
  action: Action;
}

export interface Scenario {
  name: string;
  pages?: number;
  cpus?: number;
  seed?: number;
  statements: Statement[];
}

const PROFILES: readonly string[] = ['6.1', '6.12', 'mainline'];
/** actions of issue 4 the model does not run yet: named so the error says so */
const NOT_YET = new Set(['pin', 'unpin', 'vmsplice', 'migrate', 'compact', 'drop_caches', 'reclaim']);

const USAGE: Record<string, string> = {
  mmap: '<task> mmap <region> anon <pages>',
  write: '<task> write <region> [<a>..<b>] [step=<n>]',
  read: '<task> read <region> [<a>..<b>] [step=<n>]',
  madvise: '<task> madvise <region> dontfork',
  fork: '<task> fork <child> [cpu=<n>]',
  munmap: '<task> munmap <region>',
  exit: '<task> exit',
};

/** Parses and validates a scenario; throws ScenarioError naming the line and what was expected. */
export function parseScenario(text: string, file: string): Scenario {
  const sc: Scenario = { name: file, statements: [] };
  const tasks = new Set<string>();
  const regions = new Set<string>();
  const lines = text.split('\n');
  for (let n = 1; n <= lines.length; n++) {
    const words = lines[n - 1].replace(/#.*/, '').trim().split(/\s+/).filter(Boolean);
    if (!words.length) continue;
    const fail = (what: string): never => {
      throw new ScenarioError(file, n, what);
    };
    let profiles: ProfileName[] | undefined;
    if (words[0].startsWith('@')) {
      profiles = words.shift()!.slice(1).split(',') as ProfileName[];
      for (const p of profiles)
        if (!PROFILES.includes(p)) fail(`unknown profile '${p}' (expected 6.1, 6.12 or mainline)`);
      if (!words.length) fail('a statement must follow the profile list');
    }
    const kv = (w: string, key: string): number | undefined => {
      if (!w.startsWith(`${key}=`)) return undefined;
      const v = Number(w.slice(key.length + 1));
      if (!Number.isInteger(v) || v < 0) fail(`${key}= needs a non-negative integer, got '${w}'`);
      return v;
    };
    const push = (action: Action) => sc.statements.push({ line: n, profiles, action });
    const [head, verb, ...rest] = words;
    if (head === 'scenario') {
      sc.name = words.slice(1).join(' ') || fail('scenario needs a name');
      continue;
    }
    if (head === 'machine') {
      for (const w of words.slice(1)) {
        const p = kv(w, 'pages') ?? undefined;
        const c = kv(w, 'cpus');
        const s = kv(w, 'seed');
        if (p === undefined && c === undefined && s === undefined)
          fail(`machine: expected pages=, cpus= or seed=, got '${w}'`);
        if (p !== undefined) sc.pages = p;
        if (c !== undefined) sc.cpus = c || fail('machine: cpus= must be at least 1');
        if (s !== undefined) sc.seed = s;
      }
      continue;
    }
    if (head === 'drain') {
      if (words.length > 1) fail(`drain takes no arguments, got '${words[1]}'`);
      push({ op: 'drain' });
      continue;
    }
    if (head === 'checkpoint') {
      if (words.length !== 2) fail('expected `checkpoint <tag>`');
      push({ op: 'checkpoint', tag: words[1] });
      continue;
    }
    if (head === 'task') {
      const name = verb ?? fail('expected `task <name> comm=<comm> [cpu=<n>]`');
      if (tasks.has(name)) fail(`task '${name}' is already defined`);
      let comm = name;
      let cpu: number | undefined;
      for (const w of rest) {
        if (w.startsWith('comm=')) comm = w.slice(5);
        else cpu = kv(w, 'cpu') ?? fail(`task: expected comm= or cpu=, got '${w}'`);
      }
      tasks.add(name);
      push({ op: 'task', name, comm, cpu });
      continue;
    }
    if (!tasks.has(head))
      fail(
        `'${head}' is not a task defined above (define it with \`task ${head} comm=...\`), nor a statement`,
      );
    if (verb === undefined) fail(`expected an action after task '${head}': ${Object.keys(USAGE).join(', ')}`);
    if (NOT_YET.has(verb)) fail(`'${verb}' is part of the scenario language but not modelled yet`);
    const usage = USAGE[verb] ?? fail(`unknown action '${verb}' (expected ${Object.keys(USAGE).join(', ')})`);
    const region = (): string => {
      const r = rest[0] ?? fail(`expected \`${usage}\``);
      if (!regions.has(r)) fail(`region '${r}' was not mmap'ed above`);
      return r;
    };
    switch (verb) {
      case 'mmap': {
        const pages = Number(rest[2]);
        if (rest.length !== 3 || rest[1] !== 'anon' || !Number.isInteger(pages) || pages <= 0)
          fail(`expected \`${usage}\` with a positive page count, got '${words.join(' ')}'`);
        regions.add(rest[0]);
        push({ op: 'mmap', task: head, region: rest[0], pages });
        break;
      }
      case 'write':
      case 'read': {
        const r = region();
        let from: number | undefined;
        let to: number | undefined;
        let step = 1;
        for (const w of rest.slice(1)) {
          const m = /^(\d+)\.\.(\d+)$/.exec(w);
          if (m) [from, to] = [Number(m[1]), Number(m[2])];
          else step = kv(w, 'step') || fail(`expected <a>..<b> or step=<n> (n >= 1), got '${w}'`);
        }
        if (from !== undefined && to !== undefined && to < from) fail(`range ${from}..${to} is empty`);
        push({ op: 'touch', task: head, region: r, write: verb === 'write', from, to, step });
        break;
      }
      case 'madvise':
        if (rest[1] !== 'dontfork') fail(`expected \`${usage}\``);
        push({ op: 'madvise', task: head, region: region(), advice: 'dontfork' });
        break;
      case 'fork': {
        const child = rest[0] ?? fail(`expected \`${usage}\``);
        if (tasks.has(child)) fail(`task '${child}' is already defined`);
        const cpu =
          rest[1] === undefined
            ? undefined
            : (kv(rest[1], 'cpu') ?? fail(`expected cpu=<n>, got '${rest[1]}'`));
        tasks.add(child);
        push({ op: 'fork', task: head, child, cpu });
        break;
      }
      case 'munmap':
        push({ op: 'munmap', task: head, region: region() });
        break;
      case 'exit':
        if (rest.length) fail(`exit takes no arguments, got '${rest[0]}'`);
        push({ op: 'exit', task: head });
        break;
    }
  }
  return sc;
}
