import type { Command } from '../command.js';
import { reindexCommand } from './reindex.js';

/** Every `vesta` command, in the order `vesta --help` lists them. */
export const COMMANDS: readonly Command[] = [reindexCommand];
