/** The folioscope command line: parses arguments and calls the library. */
import { Command, CommanderError } from 'commander';

type Register = (program: Command) => void;

/** `decode` and its subcommands (one module each). */
async function loadDecode(): Promise<Register> {
  const [flags, pageType, kpageflags, dumpPage, decoders, profiles] = await Promise.all([
    import('./commands/decode-flags.js'),
    import('./commands/decode-pagetype.js'),
    import('./commands/decode-kpageflags.js'),
    import('./commands/decode-dumppage.js'),
    import('../explain/profile-decoders.js'),
    import('../kernel/profiles/index.js'),
  ]);
  return (program) => {
    const decode = program
      .command('decode')
      .description(
        'decode kernel page state: flags words, page types, trace mapcounts, kpageflags, dump_page reports',
      );
    flags.registerDecodeFlags(decode);
    pageType.registerDecodePageType(decode);
    kpageflags.registerDecodeKpageflags(decode);
    dumpPage.registerDecodeDumpPage(decode, (p) =>
      p ? decoders.dumpPageFlagsDecoder(profiles.loadProfile(p)) : undefined,
    );
  };
}

/**
 * The top-level commands in help order, each module imported only when needed: every one for
 * help or an unknown name, else only the one that runs (analyze then loads 41 modules instead of
 * 127: importing them all was ~60 ms of every run, a fifth of analyzing a small trace).
 */
const COMMANDS: Record<string, () => Promise<Register>> = {
  demo: async () => (await import('./commands/demo.js')).registerDemo,
  run: async () => (await import('./commands/run.js')).registerRun,
  analyze: async () => (await import('./commands/analyze.js')).registerAnalyze,
  history: async () => (await import('./commands/history.js')).registerHistory,
  check: async () => (await import('./commands/check.js')).registerCheck,
  holders: async () => (await import('./commands/holders.js')).registerHolders,
  replay: async () => (await import('./commands/replay.js')).registerReplay,
  decode: loadDecode,
  explain: async () => (await import('./commands/explain.js')).registerExplain,
  profile: async () => (await import('./commands/profile.js')).registerProfile,
  serve: async () => (await import('./commands/serve.js')).registerServe,
};

/** The program with every command, or only `command` when it is one of them. */
export async function buildProgram(command?: string): Promise<Command> {
  const program = new Command('folioscope')
    .description('A version-exact model of the Linux page-descriptor layer and the tools around it')
    .exitOverride()
    .showHelpAfterError();
  const names = command !== undefined && Object.hasOwn(COMMANDS, command) ? [command] : Object.keys(COMMANDS);
  // one after another, not Promise.all: vitest's module runner deadlocks on concurrent imports
  // into the simulator's import cycles (mm/), and node takes as long either way (--help 1.02x)
  for (const n of names) (await COMMANDS[n]())(program);
  return program;
}

/**
 * commander's usage errors (exit 2); `commander.error` carries the command's own exit code.
 * `commander.help` with exit code 1 is the help shown for a missing (sub)command, a usage error
 * too: 1 means findings here (`folioscope help` has exit code 0 and returns 0 above).
 */
const USAGE = new Set([
  'commander.help',
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
    await (await buildProgram(argv[2])).parseAsync(argv);
    return Number(process.exitCode ?? 0);
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0)
      return 0;
    return USAGE.has(err.code) ? 2 : err.exitCode;
  }
}
