import type { Command } from '../command.js';
import { CONNECTION_COMMANDS } from './connection.js';
import { STRING_COMMANDS } from './strings.js';
import { TYPE_COMMANDS } from './types.js';

/** Every command the RESP front knows, by lower-case name. */
export const COMMANDS: ReadonlyMap<string, Command> = new Map([...STRING_COMMANDS, ...CONNECTION_COMMANDS, ...TYPE_COMMANDS].map((c) => [c.name, c]));
