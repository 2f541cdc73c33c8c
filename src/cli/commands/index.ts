import type { Command } from '../command.js';
import { auditCommand } from './audit.js';
import { keysCommand } from './keys.js';
import { reindexCommand } from './reindex.js';
import { tokenCommand } from './token.js';

/** Every `vesta` command, in the order `vesta --help` lists them. */
export const COMMANDS: readonly Command[] = [tokenCommand, keysCommand, auditCommand, reindexCommand];
