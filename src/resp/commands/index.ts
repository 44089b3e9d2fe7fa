import type { Command } from '../command.js';
import { CONNECTION_COMMANDS } from './connection.js';
import { STRING_COMMANDS } from './strings.js';
import { EXPIRY_COMMANDS } from './expiry.js';
import { KEYSPACE_COMMANDS } from './keyspace.js';
import { TRANSACTION_COMMANDS } from './transactions.js';
import { PUBSUB_COMMANDS } from './pubsub.js';
import { TYPE_COMMANDS } from './types.js';

/** Every command the RESP front knows, by lower-case name. */
export const COMMANDS: ReadonlyMap<string, Command> = new Map([...STRING_COMMANDS, ...CONNECTION_COMMANDS, ...EXPIRY_COMMANDS, ...KEYSPACE_COMMANDS, ...TRANSACTION_COMMANDS, ...PUBSUB_COMMANDS, ...TYPE_COMMANDS].map((c) => [c.name, c]));
