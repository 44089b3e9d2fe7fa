// The command lines of the systems raftkv replaces, made into raftkv's own
// before cac reads them. Go's flag package takes `-name value`, `-name=value`
// and `--name value` alike; cac would read `-id` as the short flags -i -d.
// hraftd and its fork spell the node's options their own way, and run the
// node with no command word at all: `hraftd -id node1 -haddr ... DIR`;
// raftd gave only a port: `raftd -p 4002 -join localhost:4001 DIR`.

/** hraftd's and its fork's option names, with the raftkv option each one is. */
export const NODE_FLAG_ALIASES: ReadonlyMap<string, string> = new Map([
  ['id', 'id'],
  ['haddr', 'http'],
  ['raddr', 'raft'],
  ['join', 'join'],
  ['rjoin', 'join'],
  ['inmem', 'inmem'],
  ['rmem', 'inmem'],
  ['rdir', 'dir'],
]);

/** A Go-style long flag: one dash, then a name of two or more characters (never a negative number). */
const GO_FLAG = /^-([A-Za-z][A-Za-z0-9-]+)(=.*)?$/;
const LONG_FLAG = /^--([A-Za-z][A-Za-z0-9-]+)(=.*)?$/;
/** raftd's `-p PORT` (or `-p=PORT`). */
const RAFTD_PORT = /^-p(?:=(.*))?$/;

/**
 * `args` is what follows the script (process.argv.slice(2)). Every
 * `-name[=v]` becomes `--name[=v]`; a command line that starts with one of
 * hraftd's node options gets the `node` command in front; hraftd's names
 * become raftkv's (`-haddr` is `--http`, `-rjoin` is `--join`, ...) on the
 * node command. Everything after `--` is left alone.
 */
export function normalizeArgv(args: readonly string[]): string[] {
  const end = args.indexOf('--');
  const head = (end === -1 ? args : args.slice(0, end)).map((a) => a.replace(GO_FLAG, '--$1$2'));
  const tail = end === -1 ? [] : args.slice(end);
  const first = head[0];
  const startsWithNodeFlag = first !== undefined && (NODE_FLAG_ALIASES.has(LONG_FLAG.exec(first)?.[1] ?? '') || RAFTD_PORT.test(first));
  const words = startsWithNodeFlag ? ['node', ...head] : head;
  if (words[0] !== 'node') return [...words, ...tail];
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const a = words[i]!;
    const port = RAFTD_PORT.exec(a);
    if (port) {
      // raftd's one port: raftkv's HTTP port on this host (the Raft port is derived from it).
      const value = port[1] ?? words[++i];
      out.push('--http', value !== undefined && /^\d+$/.test(value) ? `:${value}` : (value ?? ''));
      continue;
    }
    const m = LONG_FLAG.exec(a);
    const to = m ? NODE_FLAG_ALIASES.get(m[1]!) : undefined;
    out.push(m && to ? `--${to}${m[2] ?? ''}` : a);
  }
  return [...out, ...tail];
}
