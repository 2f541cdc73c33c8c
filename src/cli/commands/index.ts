import type { Command } from '../command.js';
import { auditCommand } from './audit.js';
import { clientCommand } from './client.js';
import { keysCommand } from './keys.js';
import { launchCommand } from './launch.js';
import { reindexCommand } from './reindex.js';
import { seedCommand } from './seed.js';
import { tokenCommand } from './token.js';
import { userCommand } from './user.js';

/** Every `vesta` command, in the order `vesta --help` lists them. */
export const COMMANDS: readonly Command[] = [userCommand, clientCommand, launchCommand, tokenCommand, keysCommand, auditCommand, reindexCommand, seedCommand];
