export * from './kernel/tracepoint.js';
export type * from './kernel/profiles/types.js';
