/** `--profile P [--config FILE]` as every command takes it. */
import { readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import { KernelConfig } from '../kernel/profiles/config.js';
import { PROFILE_NAMES, isProfileName, loadProfile, type Profile } from '../kernel/profiles/index.js';
import type { ProfileName } from '../kernel/profiles/types.js';

/** commander argParser for --profile */
export function parseProfileName(name: string): ProfileName {
  if (!isProfileName(name)) throw new InvalidArgumentError(`expected one of: ${PROFILE_NAMES.join(', ')}`);
  return name;
}

export function resolveProfileOption(name: ProfileName, configFile?: string): Profile {
  if (!configFile) return loadProfile(name);
  let text: string;
  try {
    text = readFileSync(configFile, 'utf8');
  } catch (e) {
    throw new InvalidArgumentError(`${configFile}: ${(e as NodeJS.ErrnoException).code ?? 'cannot read'}`);
  }
  return loadProfile(name, { config: KernelConfig.parse(text, configFile), name: configFile });
}

/** `-p, --profile <name>` (default 6.12) and `--config <file>`, as the model-running commands take them */
export function profileOptions(cmd: Command): Command {
  return cmd
    .option(
      '-p, --profile <name>',
      'kernel profile: 6.1, 6.12 or mainline',
      parseProfileName,
      '6.12' as ProfileName,
    )
    .option('--config <file>', 'resolve the profile with this kernel .config instead of Debian amd64');
}
