/**
 * Per CPU, the most recent entries (event or marker) still without a stack, newest last, at most
 * DEPTH: a `<stack trace>` block goes to the newest one of the same pid. Ring buffers in typed
 * arrays, since every event passes through here.
 *
 * `room` supports reading a file in parts: a part that starts empty cannot see the entries the
 * previous part left, but it records, per CPU, how many of them would still be in the queue
 * (DEPTH minus the most entries of its own it ever held), so the merge can finish the search.
 */
export const DEPTH = 8;
export const EVENT = 1,
  MARKER = 2;

export interface OpenQueueData {
  kind: Int32Array;
  idx: Int32Array;
  pid: Int32Array;
  head: Int32Array;
  len: Int32Array;
  roomLeft: Int32Array;
}

export class OpenQueue {
  private kind = new Int32Array(0);
  private idx = new Int32Array(0);
  private pid = new Int32Array(0);
  private head = new Int32Array(0);
  private len = new Int32Array(0);
  private roomLeft = new Int32Array(0);
  /** kind and index of the entry `take` found */
  takenKind = 0;
  takenIdx = 0;

  push(cpu: number, kind: number, idx: number, pid: number): void {
    if (cpu >= this.len.length) this.ensure(cpu);
    let n = this.len[cpu];
    let h = this.head[cpu];
    if (n === DEPTH) {
      h = this.head[cpu] = (h + 1) & (DEPTH - 1);
      n--;
    }
    const k = cpu * DEPTH + ((h + n) & (DEPTH - 1));
    this.kind[k] = kind;
    this.idx[k] = idx;
    this.pid[k] = pid;
    this.len[cpu] = ++n;
    if (DEPTH - n < this.roomLeft[cpu]) this.roomLeft[cpu] = DEPTH - n;
  }

  /** Removes the newest entry of `pid` on `cpu` into takenKind/takenIdx; false if none. */
  take(cpu: number, pid: number): boolean {
    if (cpu >= this.len.length) return false;
    const n = this.len[cpu];
    const h = this.head[cpu];
    const base = cpu * DEPTH;
    for (let j = n - 1; j >= 0; j--) {
      const k = base + ((h + j) & (DEPTH - 1));
      if (this.pid[k] !== pid) continue;
      this.takenKind = this.kind[k];
      this.takenIdx = this.idx[k];
      for (let m = j; m < n - 1; m++) {
        const to = base + ((h + m) & (DEPTH - 1));
        const from = base + ((h + m + 1) & (DEPTH - 1));
        this.kind[to] = this.kind[from];
        this.idx[to] = this.idx[from];
        this.pid[to] = this.pid[from];
      }
      this.len[cpu] = n - 1;
      return true;
    }
    return false;
  }

  /** How many entries of an earlier part this part's own entries left visible on `cpu`. */
  room(cpu: number): number {
    return cpu < this.roomLeft.length ? this.roomLeft[cpu] : DEPTH;
  }

  /** Keeps only the newest `keep` entries of `cpu` (the ones a later part can still see). */
  keepNewest(cpu: number, keep: number): void {
    if (cpu >= this.len.length || this.len[cpu] <= keep) return;
    this.head[cpu] = (this.head[cpu] + this.len[cpu] - keep) & (DEPTH - 1);
    this.len[cpu] = keep;
  }

  /** Appends a later part's entries, oldest first, its indices shifted by the part's bases. */
  append(later: OpenQueue, eventBase: number, markerBase: number): void {
    for (let cpu = 0; cpu < later.len.length; cpu++) {
      this.keepNewest(cpu, later.room(cpu));
      for (let j = 0; j < later.len[cpu]; j++) {
        const k = cpu * DEPTH + ((later.head[cpu] + j) & (DEPTH - 1));
        const kind = later.kind[k];
        this.push(cpu, kind, later.idx[k] + (kind === EVENT ? eventBase : markerBase), later.pid[k]);
      }
    }
  }

  /** Plain data for postMessage; `fromData` rebuilds the queue. */
  data(): OpenQueueData {
    const { kind, idx, pid, head, len, roomLeft } = this;
    return { kind, idx, pid, head, len, roomLeft };
  }

  static fromData(d: OpenQueueData): OpenQueue {
    const q = new OpenQueue();
    Object.assign(q, d);
    return q;
  }

  private ensure(cpu: number): void {
    const n = Math.max(cpu + 1, this.len.length * 2, 4);
    const grow = (a: Int32Array, m: number): Int32Array<ArrayBuffer> => {
      const b = new Int32Array(m);
      b.set(a);
      return b;
    };
    this.kind = grow(this.kind, n * DEPTH);
    this.idx = grow(this.idx, n * DEPTH);
    this.pid = grow(this.pid, n * DEPTH);
    this.head = grow(this.head, n);
    this.len = grow(this.len, n);
    const room = new Int32Array(n).fill(DEPTH);
    room.set(this.roomLeft);
    this.roomLeft = room;
  }
}
