/**
 * `folioscope serve <trace> | --scenario <builtin|file>`: the viewer (web/, built into dist/web)
 * and its JSON API on 127.0.0.1 (src/server). Prints the URL on stdout; stops on SIGINT/SIGTERM.
 */
import { readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import type { ProfileName } from '../../kernel/profiles/types.js';
import { BUILTINS } from '../../scenario/builtins.js';
import { ScenarioError } from '../../scenario/format.js';
import { startServer, type ViewerData } from '../../server/http.js';
import { ScenarioView } from '../../server/scenario-view.js';
import { TraceView } from '../../server/trace-view.js';
import { parseProfileName, resolveProfileOption } from '../profile-option.js';
import { fail, withTrace } from '../trace-command.js';

export const DEFAULT_PORT = 4780;

interface ServeOptions {
  scenario?: string;
  port: number;
  profile?: ProfileName;
  config?: string;
}

function parsePort(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65535)
    throw new InvalidArgumentError(`expected a port 0..65535, got "${text}"`);
  return n;
}

/** Serves `data` until SIGINT or SIGTERM; 2 when the port cannot be had. */
async function serveUntilStopped(data: ViewerData, port: number): Promise<number> {
  let running;
  try {
    running = await startServer(data, port);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return fail(
      'serve',
      `cannot listen on 127.0.0.1:${port}: ${code ?? String(err)}${code === 'EADDRINUSE' ? ' (try --port 0)' : ''}`,
    );
  }
  process.stdout.write(`${running.url}\n`);
  process.stderr.write(`folioscope serve: ${data.view.r.source} (Ctrl-C to stop)\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await running.close();
  return 0;
}

async function serveScenario(name: string, opts: ServeOptions): Promise<number> {
  const builtin = BUILTINS[name];
  let text: string;
  try {
    text = builtin ?? readFileSync(name, 'utf8');
  } catch {
    return fail('serve', `'${name}' is neither a file nor a built-in (${Object.keys(BUILTINS).join(', ')})`);
  }
  let scenario: ScenarioView;
  try {
    scenario = new ScenarioView(
      text,
      builtin ? `builtin:${name}` : name,
      resolveProfileOption(opts.profile ?? '6.12', opts.config),
    );
  } catch (err) {
    if (!(err instanceof ScenarioError)) throw err;
    return fail('serve', err.message);
  }
  const view = new TraceView(await scenario.trace(), scenario.profile.name);
  return serveUntilStopped({ view, scenario }, opts.port);
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description(
      'the web viewer on 127.0.0.1: memory map, page timelines, freeze failures and holders, leaks, a scenario step by step',
    )
    .argument('[trace]', 'trace file to view (ftrace text, trace-cmd report, perf script; .gz or not)')
    .option(
      '--scenario <scenario>',
      `step through a scenario file or a built-in (${Object.keys(BUILTINS).join(', ')}) instead of a trace`,
    )
    .option('--port <n>', `port on 127.0.0.1 (0: any free port)`, parsePort, DEFAULT_PORT)
    .option(
      '--profile <name>',
      'kernel profile (trace: default detected; scenario: default 6.12)',
      parseProfileName,
    )
    .option('--config <file>', 'with --scenario: resolve the profile with this kernel .config')
    .action(async (trace: string | undefined, opts: ServeOptions) => {
      if ((trace === undefined) === (opts.scenario === undefined)) {
        process.exitCode = fail('serve', 'give a trace file or --scenario <builtin|file> (one of them)');
        return;
      }
      process.exitCode =
        opts.scenario !== undefined
          ? await serveScenario(opts.scenario, opts)
          : await withTrace('serve', trace as string, (r) =>
              serveUntilStopped({ view: new TraceView(r, opts.profile) }, opts.port),
            );
    });
}
