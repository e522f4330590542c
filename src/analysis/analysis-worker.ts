/** Worker thread entry: the worker's side of analyzeTraceParallel (parallel.ts). */
import { parentPort } from 'node:worker_threads';
import { workerSide, type AnalysisReply, type AnalysisRequest } from './parallel.js';

parentPort?.once('message', (req: AnalysisRequest) => {
  const post = (m: AnalysisReply): void => parentPort?.postMessage(m);
  try {
    workerSide(req, post);
  } catch (err) {
    post({ error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  }
  parentPort?.close();
});
