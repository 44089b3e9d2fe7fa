// Redis's keyspace notification names for the changes the data type
// commands make (what `notify-keyspace-events` would publish): most are the
// command's name, some are shared (HSETNX is an hset), and the commands that
// move a value name each end (RENAME's rename_from and rename_to).

const SAME_AS: Record<string, string> = {
  hmset: 'hset',
  hsetnx: 'hset',
  lpushx: 'lpush',
  rpushx: 'rpush',
  blpop: 'lpop',
  brpop: 'rpop',
  zincrby: 'zincr',
};

/** The event of a change of `key` by command `name` (lower case) with `args` (after the name). */
export function eventOf(name: string, args: readonly string[], key: string): string {
  switch (name) {
    case 'rename':
    case 'renamenx':
      return key === args[0] ? 'rename_from' : 'rename_to';
    case 'copy':
      return 'copy_to';
    case 'smove':
      return key === args[0] ? 'srem' : 'sadd';
    case 'lmove':
    case 'blmove': {
      // LMOVE src dst wherefrom whereto: popped from one end of src, pushed to one end of dst.
      const from = (args[2] ?? '').toLowerCase() === 'left' ? 'lpop' : 'rpop';
      const to = (args[3] ?? '').toLowerCase() === 'left' ? 'lpush' : 'rpush';
      return key === args[1] ? to : from;
    }
    default:
      return SAME_AS[name] ?? name;
  }
}
