/** Worker thread entry: reads one later part of a split file (split.ts) and posts it back. */
import { parentPort, workerData } from 'node:worker_threads';
import { partData, transferList } from './parts.js';
import { readRange, type WorkerReply, type WorkerRequest } from './split.js';

const req = workerData as WorkerRequest;
const post = (m: WorkerReply, transfer: ArrayBuffer[] = []): void => parentPort?.postMessage(m, transfer);
try {
  const reader = await readRange(
    req.path,
    req.start,
    req.end,
    req.format,
    (bytes) => post({ progress: bytes }),
    req.region,
  );
  const part = partData(reader);
  post({ part }, transferList(part));
} catch (err) {
  post({ error: err instanceof Error ? err.message : String(err) });
}
