/**
 * The tracing side of CONFIG_DEBUG_PAGE_REF: page_ref_tracepoint_active() (a static key per event,
 * include/linux/page_ref.h) and the subscribers that receive each record. With `enabled` false
 * (CONFIG_DEBUG_PAGE_REF=n) or no subscriber, the page_ref functions never build a record.
 */
import { PageRefType, type PageRefRecord, type TraceContext } from './tracepoint.js';

export type PageRefListener = (rec: Readonly<PageRefRecord>, ctx: Readonly<TraceContext>) => void;

const ALL_EVENTS = 0x7f;

export class Tracer {
  /** CONFIG_DEBUG_PAGE_REF */
  enabled: boolean;
  /** events/page_ref/<event>/enable, one bit per PageRefType */
  private eventMask = ALL_EVENTS;
  private listeners: PageRefListener[] = [];
  /** the running task and CPU, set by whoever schedules work on the model */
  readonly ctx: TraceContext;
  /** reused for every event: listeners must copy what they keep */
  readonly rec: PageRefRecord;
  /** bit set when at least one listener exists and the event is enabled */
  private activeMask = 0;

  constructor(enabled = true) {
    this.enabled = enabled;
    // assigned here, not as field initializers: a field initialized with an object literal takes
    // that literal's map as its type, and the record's map changes once a flags word above 2^31
    // is stored in it, so a second Tracer's record made every inlined tracepoint deoptimize
    this.ctx = { comm: 'swapper/0', pid: 0, tgid: 0, cpu: 0, irqInfo: '.....', timestampNs: 0 };
    this.rec = {
      type: PageRefType.set,
      pfn: 0,
      flagsLo: 0,
      flagsHi: 0,
      count: 0,
      mapcount: 0,
      mapping: 0,
      mt: 0,
      val: 0,
      ret: 0,
    };
  }

  /** some event is enabled and listened to: the simulator then records its call path */
  get listening(): boolean {
    return this.activeMask !== 0;
  }

  /** page_ref_tracepoint_active(): tracepoint_enabled() with CONFIG_DEBUG_PAGE_REF, else false */
  active(type: PageRefType): boolean {
    return (this.activeMask & (1 << type)) !== 0;
  }

  subscribe(fn: PageRefListener): () => void {
    this.listeners.push(fn);
    this.update();
    return () => {
      this.listeners = this.listeners.filter((l) => l !== fn);
      this.update();
    };
  }

  /** echo 0|1 > events/page_ref/<event>/enable */
  setEventEnabled(type: PageRefType, on: boolean): void {
    this.eventMask = on ? this.eventMask | (1 << type) : this.eventMask & ~(1 << type);
    this.update();
  }

  setEnabled(on: boolean): void {
    this.enabled = on;
    this.update();
  }

  /**
   * Every page_ref function inlines this with its tracepoint, so it is kept small: an indexed loop
   * (a for-of loop's iterator protocol is several times the bytecode, taken from the inlining
   * budget of the untraced paths too)
   */
  emit(): void {
    const ls = this.listeners;
    for (let i = 0; i < ls.length; i++) ls[i](this.rec, this.ctx);
  }

  private update(): void {
    this.activeMask = this.enabled && this.listeners.length > 0 ? this.eventMask : 0;
  }
}
