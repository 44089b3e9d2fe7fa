// Commands about the connection and the server: no data, no read barrier.

import { parseReadLevel } from '../../api/kv-rules.js';
import { takesWrites } from '../../api/front.js';
import { badRequest } from '../../common/errors.js';
import { OK, bulk, bulkBytes, integer, simple, structured, type Structured } from '../encoder.js';
import { RespError } from '../errors-resp.js';
import { infoText } from '../info.js';
import { intArg, syntaxError, unknownSubcommand, word, wrongArity, type ArgDoc, type Command, type CommandContext, type LocalCommand } from '../command.js';
import { DEFAULT_USER } from '../../security/auth.js';
import { commandReply } from './introspection.js';

function local(name: string, arity: number, doc: LocalCommand['doc'], run: LocalCommand['run'], extra: Partial<LocalCommand> = {}): LocalCommand {
  return { kind: 'local', name, arity, flags: ['fast', 'stale', 'loading'], keys: [0, 0, 0], doc, run, ...extra };
}

const ping = local('ping', -1, { summary: 'Returns PONG, or the message.', group: 'connection', since: '1.0.0', args: [{ name: 'message', type: 'string', optional: true }] }, (args) => {
  if (args.length > 2) throw wrongArity('ping');
  return args.length === 2 ? bulkBytes(args[1]!) : simple('PONG');
});

const echo = local('echo', 2, { summary: 'Returns the message.', group: 'connection', since: '1.0.0', args: [{ name: 'message', type: 'string' }] }, (args) => bulkBytes(args[1]!));

const select = local('select', 2, { summary: 'Selects a database: raftkv has one, 0.', group: 'connection', since: '1.0.0', args: [{ name: 'index', type: 'integer' }] }, (args) => {
  if (intArg(args[1]!) !== 0) throw badRequest('DB index is out of range');
  return OK;
});

const quit = local(
  'quit',
  -1,
  { summary: 'Closes the connection once the replies before it are sent.', group: 'connection', since: '1.0.0' },
  (_args, ctx) => {
    ctx.client.quit = true;
    return OK;
  },
  { endsRun: true },
);

const readlevel = local(
  'readlevel',
  -1,
  {
    summary: 'raftkv: reads of this connection are linearizable (default), leader (the leader\'s state, no quorum round) or stale (this node\'s state). Without an argument: the current level.',
    group: 'connection',
    since: '0.1.0',
    args: [{ name: 'level', type: 'oneof', optional: true, args: [{ name: 'linearizable', type: 'pure-token', token: 'LINEARIZABLE' }, { name: 'leader', type: 'pure-token', token: 'LEADER' }, { name: 'stale', type: 'pure-token', token: 'STALE' }] }],
  },
  (args, ctx) => {
    if (args.length > 2) throw wrongArity('readlevel');
    if (args.length === 1) return bulk(ctx.client.level);
    ctx.client.level = parseReadLevel(args[1]!.toString('latin1').toLowerCase());
    return OK;
  },
  { endsRun: true },
);

const info = local('info', -1, { summary: 'Server, clients, persistence, replication (Raft role, leader, term, indexes) and keyspace sections.', group: 'server', since: '1.0.0', args: [{ name: 'section', type: 'string', optional: true, multiple: true }] }, (args, ctx) =>
  bulk(infoText(ctx, args.slice(1).map((a) => a.toString('latin1').toLowerCase()))),
);

const CONFIG_VALUES: Record<string, string> = {
  // What redis-benchmark and other tools ask for at start.
  save: '',
  appendonly: 'no',
  databases: '1',
  maxmemory: '0',
  'maxmemory-policy': 'noeviction',
};

const config = local(
  'config',
  -2,
  { summary: 'CONFIG GET: a few read-only values for tools (save, appendonly, databases, ...).', group: 'server', since: '2.0.0' },
  (args) => {
    const sub = word(args[1]!);
    if (sub === 'GET') {
      if (args.length < 3) throw wrongArity('config|get');
      const out: Structured[] = [];
      for (const [k, v] of Object.entries(CONFIG_VALUES)) {
        if (args.slice(2).some((p) => globMatch(p.toString('latin1').toLowerCase(), k))) out.push(k, v);
      }
      return structured(out);
    }
    if (sub === 'RESETSTAT') return OK;
    if (sub === 'SET' || sub === 'REWRITE') throw new RespError('ERR', `CONFIG ${sub} is not supported by raftkv; see cluster.config.json`);
    throw unknownSubcommand('config', args[1]!);
  },
  { subcommands: { get: { arity: -3, summary: 'Returns the values of configuration parameters.', args: [{ name: 'parameter', type: 'pattern', multiple: true }] }, resetstat: { arity: 2, summary: 'Resets the statistics.' } } },
);

const client = local(
  'client',
  -2,
  { summary: 'CLIENT ID, SETNAME, GETNAME, SETINFO.', group: 'connection', since: '2.4.0' },
  (args, ctx) => {
    const sub = word(args[1]!);
    const exactly = (n: number): void => {
      if (args.length !== n) throw wrongArity(`client|${sub.toLowerCase()}`);
    };
    switch (sub) {
      case 'ID':
        exactly(2);
        return integer(ctx.client.id);
      case 'GETNAME':
        exactly(2);
        return ctx.client.name === '' ? bulk(null) : bulk(ctx.client.name);
      case 'SETNAME':
        exactly(3);
        ctx.client.name = clientName(args[2]!);
        return OK;
      case 'SETINFO':
        exactly(4);
        return OK;
      default:
        throw unknownSubcommand('client', args[1]!);
    }
  },
  {
    subcommands: {
      id: { arity: 2, summary: 'Returns the unique id of the connection.' },
      getname: { arity: 2, summary: 'Returns the name of the connection.' },
      setname: { arity: 3, summary: 'Sets the name of the connection.', args: [{ name: 'connection-name', type: 'string' }] },
      setinfo: { arity: 4, summary: 'Accepted and ignored (client library name and version).', args: [{ name: 'attr', type: 'string' }, { name: 'value', type: 'string' }] },
    },
  },
);

function clientName(b: Buffer): string {
  const name = b.toString('utf8');
  if (/[\s\x00-\x1f\x7f]/.test(name)) throw badRequest('Client names cannot contain spaces, newlines or special characters.');
  return name;
}

/** HELLO [protover [AUTH user pass] [SETNAME name]]: only RESP2 is spoken. */
const hello = local(
  'hello',
  -1,
  { summary: 'Handshake: RESP2 only (HELLO 2); returns the server properties.', group: 'connection', since: '6.0.0', args: [{ name: 'protover', type: 'integer', optional: true }] as ArgDoc[] },
  (args, ctx) => {
    if (args.length > 1) {
      const v = Number(args[1]!.toString('latin1'));
      if (!Number.isInteger(v)) throw badRequest('Protocol version is not an integer or out of range');
      if (v !== 2) throw new RespError('NOPROTO', 'sorry, this protocol version is not supported');
    }
    let name: string | undefined;
    let login: [Buffer, Buffer] | undefined;
    for (let i = 2; i < args.length; i++) {
      const opt = word(args[i]!);
      if (opt === 'SETNAME' && i + 1 < args.length) name = clientName(args[++i]!);
      else if (opt === 'AUTH' && i + 2 < args.length) login = [args[++i]!, args[++i]!];
      else throw syntaxError();
    }
    if (login) logIn(ctx, login[0].toString('utf8'), login[1]);
    else if (ctx.server.auth && ctx.client.user === undefined) {
      throw new RespError('NOAUTH', 'HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time');
    }
    if (name !== undefined) ctx.client.name = name;
    return structured(['server', 'redis', 'version', '7.0.0', 'proto', 2, 'id', ctx.client.id, 'mode', 'standalone', 'role', takesWrites(ctx.server.front.status()) ? 'master' : 'replica', 'modules', []]);
  },
  // It may log in: commands pipelined after it are looked at only once it ran.
  { endsRun: true },
);

/** AUTH [user] password: Redis's requirepass (one argument: the admin token) and ACL users (two). */
const auth = local(
  'auth',
  -2,
  { summary: 'Logs the connection in: AUTH <token> (the admin token) or AUTH <user> <token>.', group: 'connection', since: '1.0.0', args: [{ name: 'username', type: 'string', optional: true }, { name: 'password', type: 'string' }] },
  (args, ctx) => {
    if (args.length > 3) throw syntaxError();
    if (args.length === 3) logIn(ctx, args[1]!.toString('utf8'), args[2]!);
    else logIn(ctx, undefined, args[1]!);
    return OK;
  },
  // Commands pipelined after it are looked at only once it ran.
  { endsRun: true },
);

function logIn(ctx: CommandContext, user: string | undefined, token: Buffer): void {
  const a = ctx.server.auth;
  if (!a) {
    if (user === undefined || user === DEFAULT_USER) throw new RespError('ERR', 'AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?');
    throw new RespError('WRONGPASS', 'invalid username-password pair or user is disabled.');
  }
  // A failed login leaves the connection as it was, as in Redis.
  const p = a.login(token.toString('utf8'), user ?? DEFAULT_USER);
  if (!p) throw new RespError('WRONGPASS', 'invalid username-password pair or user is disabled.');
  ctx.client.user = p;
}

const command = local(
  'command',
  -1,
  { summary: 'Describes the commands: COMMAND, COMMAND COUNT, COMMAND DOCS, COMMAND INFO, COMMAND LIST.', group: 'server', since: '2.8.13' },
  (args, ctx) => commandReply(args, ctx),
  {
    subcommands: {
      count: { arity: 2, summary: 'Returns the number of commands.' },
      docs: { arity: -2, summary: 'Returns the documentation of commands.', args: [{ name: 'command-name', type: 'string', optional: true, multiple: true }] },
      info: { arity: -2, summary: 'Returns information about commands.', args: [{ name: 'command-name', type: 'string', optional: true, multiple: true }] },
      list: { arity: -2, summary: 'Returns the command names.' },
    },
  },
);

/** `*` and `?` globs, as CONFIG GET takes them. */
function globMatch(pattern: string, s: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(s);
}

export const CONNECTION_COMMANDS: readonly Command[] = [ping, echo, select, quit, readlevel, info, config, client, hello, command, auth];
