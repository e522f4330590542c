/** Paths to the shared, read-only data next to the repository (never copied into it). */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const SHARED = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../shared');
export const TRACES = path.join(SHARED, 'traces');
export const SAMPLES = path.join(SHARED, 'samples');
