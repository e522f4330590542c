import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { ProfileName } from '../../kernel/profiles/types.js';
import { BUILTINS } from '../../scenario/builtins.js';
import { ScenarioError, parseScenario } from '../../scenario/format.js';
import { finalPages, formatRunTrace, runScenario } from '../../scenario/runner.js';
import { profileOptions, resolveProfileOption } from '../profile-option.js';

interface RunOpts {
  profile: ProfileName;
  config?: string;
  trace?: string;
  stacks?: boolean;
  json?: boolean;
}

export function registerRun(program: Command): void {
  profileOptions(
    program
      .command('run')
      .description(
        `run a scenario file or a built-in (${Object.keys(BUILTINS).join(', ')}) and print its page_ref trace`,
      )
      .argument('<scenario>', 'a scenario file, or the name of a built-in scenario'),
  )
    .option('--trace <file>', 'write the trace to this file instead of stdout')
    .option('--stacks', 'print a <stack trace> block after each event (the model call path)')
    .option('--json', 'print events and final page state as JSON')
    .action((name: string, opts: RunOpts) => {
      const builtin = BUILTINS[name];
      let text: string;
      try {
        text = builtin ?? readFileSync(name, 'utf8');
      } catch {
        process.stderr.write(
          `folioscope run: '${name}' is neither a file nor a built-in (${Object.keys(BUILTINS).join(', ')})\n`,
        );
        process.exitCode = 2;
        return;
      }
      try {
        const r = runScenario(
          parseScenario(text, builtin ? `builtin:${name}` : name),
          resolveProfileOption(opts.profile, opts.config),
        );
        const pages = finalPages(r);
        if (opts.json) {
          const events = r.events.map((e) => ({
            ...e.record,
            ...e.ctx,
            stack: opts.stacks ? e.stack : undefined,
          }));
          process.stdout.write(
            `${JSON.stringify({ scenario: r.scenario, profile: r.profile.name, events, pages }, null, 2)}\n`,
          );
          return;
        }
        const trace = formatRunTrace(r, opts.stacks ?? false);
        if (opts.trace) writeFileSync(opts.trace, trace);
        else process.stdout.write(trace);
        const out = [
          '',
          `# final state of the ${pages.length} pages in the trace (profile ${r.profile.name})`,
        ];
        out.push('#  pfn       refcount   mapcount  type      buddy  flags');
        for (const p of pages)
          out.push(
            `#  ${p.pfn.padEnd(9)} ${String(p.refcount).padStart(8)} ${String(p.mapcount).padStart(10)}  ${(p.type ?? '-').padEnd(8)}  ${String(p.buddyOrder ?? '-').padStart(5)}  ${p.flags}`,
          );
        (opts.trace ? process.stdout : process.stderr).write(`${out.join('\n')}\n`);
      } catch (err) {
        if (!(err instanceof ScenarioError)) throw err;
        process.stderr.write(`folioscope run: ${err.message}\n`);
        process.exitCode = 2;
      }
    });
}
