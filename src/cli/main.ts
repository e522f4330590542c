import { Command, CommanderError } from 'commander';

/** Builds the folioscope command line; each subcommand calls into the library. */
export function buildProgram(): Command {
  const program = new Command('folioscope')
    .description('A version-exact model of the Linux page-descriptor layer and the tools around it')
    .exitOverride();
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    throw err;
  }
}
