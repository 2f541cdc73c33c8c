import type { Config } from '../config.js';

/** What every command gets: the validated configuration and where to print. */
export interface CommandContext {
  config: Config;
  /** `--json`: print exactly one JSON object on stdout and nothing else. */
  json: boolean;
  out: (text: string) => void;
  err: (text: string) => void;
}

/** One `vesta <name>` command. */
export interface Command {
  name: string;
  /** One line for `vesta --help`. */
  summary: string;
  /** The usage lines for `vesta <name> --help`. */
  usage: string;
  /** Runs with the arguments after the command name; resolves to the exit status. */
  run(args: string[], ctx: CommandContext): Promise<number>;
}

/** A usage error: the message is printed with the command's usage, exit status 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
