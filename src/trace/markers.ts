/**
 * Events other than page_ref (`tracing_mark_write`, `mm_migrate_pages`, `test_pages_isolated` ...)
 * kept as context markers: time, cpu, pid, name, text. Few per trace, so plain parallel arrays.
 */
export interface Marker {
  timestampNs: number;
  cpu: number;
  pid: number;
  comm: string;
  name: string;
  text: string;
  line: number;
  /** interned stack id when a stack followed it */
  stack: number | undefined;
}

export class MarkerStore {
  private readonly items: Marker[] = [];

  get length(): number {
    return this.items.length;
  }

  push(m: Marker): number {
    this.items.push(m);
    return this.items.length - 1;
  }

  get(i: number): Marker {
    return this.items[i];
  }

  setStack(i: number, stackId: number): void {
    this.items[i].stack = stackId;
  }

  [Symbol.iterator](): Iterator<Marker> {
    return this.items[Symbol.iterator]();
  }
}
