/**
 * The viewer's local HTTP server (node:http): the built web page from `webRoot` and the JSON API
 * of api.ts, on 127.0.0.1 only. Every bad request gets a 4xx with `{ "error": "..." }`; requests
 * naming another host are refused (a page elsewhere must not read the trace through DNS rebinding).
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PAGE_STATES, type ApiError, type PageStateName } from './api.js';
import type { ScenarioView } from './scenario-view.js';
import { MAX_CELLS, TraceView, ViewError } from './trace-view.js';

export interface ViewerData {
  view: TraceView;
  scenario?: ScenarioView;
}

export interface RunningServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
};

/** Nothing but this server: no CDN, no fonts, no beacons. */
const CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; base-uri 'none'";

/** The built viewer's directory: <package>/dist/web from both src/server and dist/server. */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../dist/web/', import.meta.url));

/** Listens on 127.0.0.1:`port` (0 = any free port) and resolves once it accepts connections. */
export function startServer(
  data: ViewerData,
  port: number,
  webRoot = DEFAULT_WEB_ROOT,
): Promise<RunningServer> {
  const server = createServer((req, res) => {
    handle(data, webRoot, req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: `internal error: ${String(err)}` });
      else res.destroy();
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      resolve({
        server,
        url,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

async function handle(data: ViewerData, webRoot: string, req: IncomingMessage, res: ServerResponse) {
  const port = (req.socket.address() as AddressInfo).port;
  const host = req.headers.host ?? '';
  if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`)
    return sendJson(res, 403, { error: `requests must name 127.0.0.1:${port}, not "${host}"` });
  if (req.method !== 'GET' && req.method !== 'HEAD')
    return sendJson(res, 405, { error: `${req.method} is not supported: the API is read-only (GET)` });
  const url = new URL(req.url ?? '/', `http://${host}`);
  if (url.pathname === '/api' || url.pathname.startsWith('/api/')) {
    try {
      return sendJson(res, 200, api(data, url));
    } catch (err) {
      if (err instanceof ViewError) return sendJson(res, err.status, { error: err.message });
      throw err;
    }
  }
  return sendStatic(webRoot, url.pathname, res);
}

/** The API's answer to `url`, or a ViewError. */
function api(data: ViewerData, url: URL): object {
  const q = new Query(url.searchParams);
  const parts = url.pathname.split('/').slice(2);
  const { view, scenario } = data;
  const [what, arg, sub] = parts;
  const tooLong = (n: number) => {
    if (parts.length > n) throw new ViewError(404, `no API endpoint ${url.pathname}`);
  };
  switch (what) {
    case 'info':
      tooLong(1);
      return view.info(
        scenario ? 'scenario' : 'trace',
        scenario ? { name: scenario.name, steps: scenario.describe().steps } : null,
      );
    case 'map': {
      tooLong(1);
      const info = view.states.pfns;
      const from = q.pfn('from', info.length ? info[0] : 0);
      const to = q.pfn('to', info.length ? info[info.length - 1] + 1 : 1);
      return view.map(from, to, q.int('cells', 1024, 1, MAX_CELLS));
    }
    case 'pages':
      tooLong(1);
      return view.pageList(
        q.state('state'),
        q.pfn('from', 0),
        q.pfn('to', Number.MAX_SAFE_INTEGER),
        q.int('offset', 0),
        q.int('limit', 100, 1),
      );
    case 'page': {
      tooLong(3);
      if (arg === undefined) throw new ViewError(400, 'missing pfn: /api/page/<pfn>');
      const pfn = parsePfn(arg, 'pfn');
      if (sub === undefined) return view.page(pfn);
      if (sub === 'series') return view.series(pfn, q.int('points', 800, 1));
      if (sub === 'events') {
        const line = q.optionalInt('line');
        return view.events(pfn, q.int('offset', 0), q.int('limit', 100, 1), line);
      }
      if (sub === 'holders') return view.holdersAfter(pfn, q.int('index', 0));
      throw new ViewError(404, `no API endpoint ${url.pathname}`);
    }
    case 'freeze-failures':
      tooLong(1);
      return view.freezeFailures(q.int('offset', 0), q.int('limit', 50, 1));
    case 'leaks':
      tooLong(1);
      return view.leaks(q.int('offset', 0), q.int('limit', 50, 1));
    case 'check': {
      tooLong(1);
      const sev = url.searchParams.get('severity');
      if (sev !== null && sev !== 'info' && sev !== 'finding')
        throw new ViewError(400, `severity must be info or finding, not "${sev}"`);
      return view.check(q.int('offset', 0), q.int('limit', 100, 1), sev ?? undefined);
    }
    case 'scenario': {
      if (!scenario) throw new ViewError(404, 'no scenario: the server was started on a trace file');
      if (arg === undefined) return scenario.describe();
      tooLong(3);
      if (arg !== 'step' || sub === undefined)
        throw new ViewError(404, `no API endpoint ${url.pathname} (try /api/scenario/step/<n>)`);
      return scenario.step(parseCount(sub, 'step'), q.int('offset', 0), q.int('limit', 200, 1));
    }
    default:
      throw new ViewError(404, `no API endpoint ${url.pathname}`);
  }
}

function parsePfn(text: string, what: string): number {
  const n = /^0x[0-9a-f]+$/i.test(text) ? Number.parseInt(text, 16) : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n))
    throw new ViewError(400, `${what}: expected a pfn (0x hex or decimal), got "${text}"`);
  return n;
}

function parseCount(text: string, what: string): number {
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)))
    throw new ViewError(400, `${what}: expected a non-negative integer, got "${text}"`);
  return Number(text);
}

/** Query parameters, validated: a bad one is a 400 naming it. */
class Query {
  constructor(private readonly p: URLSearchParams) {}

  int(name: string, dflt: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.optionalInt(name) ?? dflt;
    if (v < min || v > max) throw new ViewError(400, `${name} must be ${min}..${max}, got ${v}`);
    return v;
  }

  optionalInt(name: string): number | undefined {
    const t = this.p.get(name);
    return t === null ? undefined : parseCount(t, name);
  }

  pfn(name: string, dflt: number): number {
    const t = this.p.get(name);
    return t === null ? dflt : parsePfn(t, name);
  }

  state(name: string): PageStateName | undefined {
    const t = this.p.get(name);
    if (t === null) return undefined;
    if (!(PAGE_STATES as readonly string[]).includes(t))
      throw new ViewError(400, `${name} must be one of ${PAGE_STATES.join(', ')}, got "${t}"`);
    return t as PageStateName;
  }
}

function sendJson(res: ServerResponse, status: number, body: object | ApiError): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(res.req.method === 'HEAD' ? undefined : text);
}

async function sendStatic(root: string, pathname: string, res: ServerResponse): Promise<void> {
  let rel: string;
  try {
    // normalising an absolute path resolves every '..' at '/' at most: rel stays inside root
    rel = normalize(`/${decodeURIComponent(pathname)}`).slice(1);
  } catch {
    return sendJson(res, 400, { error: `bad path ${pathname}` });
  }
  if (rel === '' || rel.endsWith(sep)) rel = join(rel, 'index.html');
  let body: Buffer;
  try {
    body = await readFile(join(root, rel));
  } catch {
    if (rel === 'index.html')
      return sendJson(res, 500, {
        error: `the viewer is not built (no ${join(root, rel)}): run npm run build`,
      });
    return sendJson(res, 404, { error: `no file ${pathname}` });
  }
  res.writeHead(200, {
    'content-type': TYPES[extname(rel)] ?? 'application/octet-stream',
    'content-length': body.length,
    'content-security-policy': CSP,
    'x-content-type-options': 'nosniff',
    'cache-control': rel.startsWith(`assets${sep}`) ? 'max-age=31536000, immutable' : 'no-cache',
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
