#!/usr/bin/env node
/**
 * `vesta <command>`: the administration CLI (`npx vesta --help` in a checkout, `vesta` in the image). Commands
 * work on the same configuration (environment) and data as the server and are safe to run while it runs.
 */
import { ConfigError, loadConfig } from '../config.js';
import type { Command, CommandContext } from './command.js';
import { UsageError } from './command.js';
import { COMMANDS } from './commands/index.js';

function help(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'Usage: vesta <command> [options]   (add --help after a command for its options, --json for one JSON object on stdout)',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Configuration comes from the environment, as for the server (VESTA_DATA_DIR, ...).',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const out = (text: string): void => void process.stdout.write(`${text}\n`);
  const err = (text: string): void => void process.stderr.write(`${text}\n`);
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    out(help(COMMANDS));
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    err(`vesta: unknown command "${name}"\n\n${help(COMMANDS)}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    out(command.usage);
    return 0;
  }
  const json = rest.includes('--json');
  const args = rest.filter((a) => a !== '--json');
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      err(`vesta: invalid configuration: ${e.message}`);
      return 2;
    }
    throw e;
  }
  const ctx: CommandContext = { config, json, out, err };
  try {
    return await command.run(args, ctx);
  } catch (e) {
    if (e instanceof UsageError) {
      err(`vesta ${name}: ${e.message}\n\n${command.usage}`);
      return 2;
    }
    // Messages only: a stack or a resource would not help an operator and might carry data.
    err(`vesta ${name}: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`vesta: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
