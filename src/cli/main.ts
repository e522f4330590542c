/** The folioscope command line: parses arguments and calls the library. */
import { Command, CommanderError } from 'commander';
import { dumpPageFlagsDecoder } from '../explain/profile-decoders.js';
import { loadProfile } from '../kernel/profiles/index.js';
import { registerAnalyze } from './commands/analyze.js';
import { registerCheck } from './commands/check.js';
import { registerDecodeDumpPage } from './commands/decode-dumppage.js';
import { registerDecodeKpageflags } from './commands/decode-kpageflags.js';
import { registerDecodeFlags } from './commands/decode-flags.js';
import { registerDecodePageType } from './commands/decode-pagetype.js';
import { registerDemo } from './commands/demo.js';
import { registerExplain } from './commands/explain.js';
import { registerHistory } from './commands/history.js';
import { registerHolders } from './commands/holders.js';
import { registerProfile } from './commands/profile.js';
import { registerReplay } from './commands/replay.js';
import { registerRun } from './commands/run.js';
import { registerServe } from './commands/serve.js';

export function buildProgram(): Command {
  const program = new Command('folioscope')
    .description('A version-exact model of the Linux page-descriptor layer and the tools around it')
    .exitOverride()
    .showHelpAfterError();
  registerDemo(program);
  registerRun(program);
  registerAnalyze(program);
  registerHistory(program);
  registerCheck(program);
  registerHolders(program);
  registerReplay(program);
  const decode = program
    .command('decode')
    .description(
      'decode kernel page state: flags words, page types, trace mapcounts, kpageflags, dump_page reports',
    );
  registerDecodeFlags(decode);
  registerDecodePageType(decode);
  registerDecodeKpageflags(decode);
  registerDecodeDumpPage(decode, (p) => (p ? dumpPageFlagsDecoder(loadProfile(p)) : undefined));
  registerExplain(program);
  registerProfile(program);
  registerServe(program);
  return program;
}

/** commander's usage errors (exit 2); `commander.error` carries the command's own exit code */
const USAGE = new Set([
  'commander.missingArgument',
  'commander.optionMissingArgument',
  'commander.missingMandatoryOptionValue',
  'commander.unknownOption',
  'commander.unknownCommand',
  'commander.invalidArgument',
  'commander.excessArguments',
  'commander.conflictingOption',
]);

/** Runs the CLI; resolves to the process exit code (0 ok, 1 findings, 2 bad input or usage). */
export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return Number(process.exitCode ?? 0);
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0)
      return 0;
    return USAGE.has(err.code) ? 2 : err.exitCode;
  }
}
