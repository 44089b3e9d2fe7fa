// COMMAND, COMMAND COUNT / DOCS / INFO / LIST, in the shapes Redis 7 gives
// them (redis-cli builds its hints from COMMAND DOCS).

import { integer, structured, type Reply, type Structured } from '../encoder.js';
import { unknownSubcommand, word, type ArgDoc, type Command, type CommandContext } from '../command.js';

const status = (s: string): Structured => ({ status: s });

function info(c: Command): Structured {
  const subs = Object.entries(c.subcommands ?? {}).map(([sub, d]): Structured => [`${c.name}|${sub}`, d.arity, c.flags.map(status), 0, 0, 0, [], [], [], []]);
  return [c.name, c.arity, c.flags.map(status), c.keys[0], c.keys[1], c.keys[2], [status(`@${c.doc.group}`)], [], [], subs];
}

function argDoc(a: ArgDoc): Structured {
  const out: Structured[] = ['name', a.name, 'type', a.type];
  if (a.token !== undefined) out.push('token', a.token);
  const flags = [...(a.optional ? ['optional'] : []), ...(a.multiple ? ['multiple'] : [])];
  if (flags.length > 0) out.push('flags', flags.map(status));
  if (a.args) out.push('arguments', a.args.map(argDoc));
  return out;
}

function docs(c: Command): Structured {
  const out: Structured[] = ['summary', c.doc.summary, 'since', c.doc.since, 'group', c.doc.group];
  if (c.doc.args) out.push('arguments', c.doc.args.map(argDoc));
  if (c.subcommands) {
    const subs: Structured[] = [];
    for (const [sub, d] of Object.entries(c.subcommands)) {
      const sd: Structured[] = ['summary', d.summary, 'since', c.doc.since, 'group', c.doc.group];
      if (d.args) sd.push('arguments', d.args.map(argDoc));
      subs.push(`${c.name}|${sub}`, sd);
    }
    out.push('subcommands', subs);
  }
  return out;
}

export function commandReply(args: Buffer[], ctx: CommandContext): Reply {
  const table = ctx.server.commands;
  const named = (from: number): Command[] => {
    if (args.length <= from) return [...table.values()];
    return args.slice(from).flatMap((a) => {
      const c = table.get(a.toString('latin1').toLowerCase());
      return c ? [c] : [];
    });
  };
  if (args.length === 1) return structured([...table.values()].map(info));
  const sub = word(args[1]!);
  switch (sub) {
    case 'COUNT':
      return integer(table.size);
    case 'LIST':
      return structured([...table.keys()]);
    case 'INFO':
      // Unknown names get nil, as in Redis.
      if (args.length === 2) return structured([...table.values()].map(info));
      return structured(args.slice(2).map((a) => {
        const c = table.get(a.toString('latin1').toLowerCase());
        return c ? info(c) : null;
      }));
    case 'DOCS':
      return structured(named(2).flatMap((c): Structured[] => [c.name, docs(c)]));
    default:
      throw unknownSubcommand('command', args[1]!);
  }
}
