/** `npm run bench`: every benchmark, each printing ratios to baselines measured in the same run. */
import { main as model } from './model.js';
import { main as traceRead } from './trace-read.js';

console.log('== model (page_ref API, tracing, formatting, mem_map)');
model();
console.log('\n== trace reader');
await traceRead();
