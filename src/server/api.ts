/**
 * The viewer's JSON API: the shapes the server sends and the web page reads (web/ imports these
 * types only). pfns are numbers; lists are windows (offset, limit, total) so that a large trace
 * never goes to the browser whole. The shapes restate the analyses' types (history.ts,
 * consistency.ts ...) because the browser build cannot import node-side modules; the server builds
 * every answer from those types, so tsc fails there if the two drift apart.
 */

/** Memory-map states of a traced page at the end of the trace (page-states.ts says how). */
export const PAGE_STATES = [
  'free',
  'anon',
  'page-cache',
  'slab',
  'page-table',
  'typed',
  'other',
  'frozen',
  'leaked',
  'freeze-failed',
] as const;
export type PageStateName = (typeof PAGE_STATES)[number];

export interface ApiError {
  error: string;
}

export interface Window<T> {
  total: number;
  offset: number;
  items: T[];
}

export interface InfoResponse {
  mode: 'trace' | 'scenario';
  source: string;
  format: string;
  profile: string | null;
  events: number;
  pages: number;
  lines: number;
  seconds: number | null;
  cpus: number[];
  stacks: boolean;
  unparsed: number;
  lostEvents: number;
  /** lowest and highest traced pfn (0 when the trace has no events) */
  pfnMin: number;
  pfnMax: number;
  states: readonly PageStateName[];
  /** pages per state, in `states` order */
  stateCounts: number[];
  freezeFailures: number;
  leaks: number;
  findings: number;
  /** set in scenario mode */
  scenario: { name: string; steps: number } | null;
}

export interface MapCell {
  /** pfns [from, to) */
  from: number;
  to: number;
  /** traced pages per state, in InfoResponse.states order */
  counts: number[];
}

export interface MapResponse {
  from: number;
  to: number;
  /** pfns per cell */
  cellPfns: number;
  cells: MapCell[];
}

export interface PageListItem {
  pfn: number;
  state: PageStateName;
  events: number;
}

export interface HolderJson {
  owner: string;
  label: string;
  refs: number;
  line: number | null;
  task: string | null;
  /** the get's tracepoint (page_ref_mod_unless: a try_get); null before the trace */
  event: string | null;
  stack: string[];
  migratedFrom?: number[];
}

export interface HoldersJson {
  pfn: number;
  line: number;
  event: string;
  count: number;
  holders: HolderJson[];
  unexplained: number;
}

export interface PageResponse {
  pfn: number;
  state: PageStateName;
  events: number;
  firstLine: number;
  lastLine: number;
  /** count and mapcount as traced by the last event */
  count: number;
  mapcount: number;
  mapcountMeaning: string;
  /** references outstanding after the last event */
  holders: HoldersJson;
  /** lines of the page's failed page_ref_freeze events */
  freezeFailureLines: number[];
  leak: { start: number; end: number; line: number } | null;
}

/** One point of a page's step chart: events [i0, i1] of the page (ordinals in its history). */
export interface SeriesPoint {
  i0: number;
  i1: number;
  /** timestamp of event i1 */
  ns: number;
  /** count after event i1, and the lowest and highest in the bucket */
  count: number;
  countMin: number;
  countMax: number;
  /** mappings (page_mapcount(), from the traced mapcount per profile); null on a typed page */
  mapped: number | null;
  mappedMin: number | null;
  mappedMax: number | null;
  /** index into SeriesResponse.flags of event i1's flags (names, hex decoded when needed) */
  flags: number;
}

export interface SeriesResponse {
  pfn: number;
  events: number;
  flags: string[];
  points: SeriesPoint[];
}

export interface EventEntry {
  kind: 'event';
  /** ordinal of the event in the page's history */
  index: number;
  line: number;
  timestampNs: number;
  cpu: number;
  task: string;
  event: string;
  val: number;
  ret: number | null;
  count: number;
  mapcount: number;
  mapcountMeaning: string;
  flags: string;
  flagsDecoded?: string;
  stack: string[];
}

export interface MarkerEntry {
  kind: 'marker';
  line: number;
  timestampNs: number;
  cpu: number;
  task: string;
  text: string;
}

export type TimelineEntry = EventEntry | MarkerEntry;

export interface FreezeFailureJson extends HoldersJson {
  expected: number;
  actual: number;
  caller: string[];
  expectedHolders: HolderJson[];
  extra: HolderJson[];
}

export interface LeakJson {
  pfn: number;
  start: number;
  end: number;
  line: number;
  unmatched: HolderJson[];
}

export interface LeaksResponse extends Window<LeakJson> {
  excludedPages: number;
  excluded: { owner: string; reason: string; pages: number; refs: number }[];
}

export interface InconsistencyJson {
  kind: string;
  severity: 'info' | 'finding';
  pfn: number;
  line: number;
  event: string;
  expected: number;
  actual: number;
  note: string;
}

export interface CheckResponse extends Window<InconsistencyJson> {
  pagesChecked: number;
  eventsChecked: number;
  byKind: Record<string, number>;
}

export interface ScenarioStatement {
  /** line in the scenario text */
  line: number;
  text: string;
  /** step number, or null when the profile skips the statement (`@profile` lines) */
  step: number | null;
}

export interface ScenarioResponse {
  name: string;
  profile: string;
  statements: ScenarioStatement[];
  steps: number;
}

export interface StepEvent {
  /** the page_ref line the kernel prints */
  text: string;
  pfn: number;
  /** the model's call path, innermost first */
  stack: string[];
}

export interface StepPage {
  pfn: number;
  refcount: number;
  /** raw _mapcount (-1 = not mapped; the page_type on a typed page) */
  mapcountRaw: number;
  /** page_mapcount() */
  mappings: number;
  mapcountMeaning: string;
  flags: string;
  type: string | null;
  anonExclusive: boolean;
  /** references held by the per-CPU lru_add batches */
  batchRefs: number;
  buddyOrder: number | null;
  /** the step has events of this page */
  touched: boolean;
  /** the same page after the previous step (null: first seen in this step) */
  before: { refcount: number; mapcountRaw: number; flags: string } | null;
}

export interface StepResponse {
  step: number;
  steps: number;
  statement: ScenarioStatement;
  events: StepEvent[];
  /** every page seen up to this step, touched ones first, windowed */
  pages: Window<StepPage>;
}
