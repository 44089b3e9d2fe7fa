// The Redis protocol front of a real 3-node cluster: every command, errors,
// inline commands, pipelining and read levels, over raw sockets.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TestCluster, http } from '../helpers/test-cluster.js';
import { RespTestClient, frame, plain } from '../helpers/resp-client.js';

describe('RESP front on a 3-node cluster', () => {
  let c: TestCluster;
  let leader: string;
  let follower: string;
  const clients: RespTestClient[] = [];
  const connect = async (id: string): Promise<RespTestClient> => {
    const cl = await RespTestClient.connect(c.respPort(id));
    clients.push(cl);
    return cl;
  };

  before(async () => {
    c = await TestCluster.start({ maxBodyBytes: 4096 });
    leader = await c.waitForLeader();
    follower = c.followers(leader)[0]!;
  });
  after(async () => {
    for (const cl of clients) cl.close();
    await c?.stop();
  });

  test('PING, ECHO, SELECT 0, and a key set on one node is read on a follower', async () => {
    const l = await connect(leader);
    const f = await connect(follower);
    assert.deepEqual(await l.call(['PING'], ['PING', 'hi'], ['ECHO', 'x y'], ['SELECT', '0'], ['SELECT', '1']), ['PONG', 'hi', 'x y', 'OK', { error: 'ERR DB index is out of range' }]);
    assert.equal(await l.one('SET', 'key1', 'value1'), 'OK');
    assert.equal(await f.one('GET', 'key1'), 'value1');
    assert.equal(await f.one('GET', 'nope'), null);
  });

  test('writes sent to a follower are forwarded to the leader; HTTP and RESP share the data', async () => {
    const f = await connect(follower);
    assert.equal(await f.one('SET', 'fwd', 'héllo'), 'OK');
    assert.deepEqual((await http('GET', c.url(leader, '/key/fwd?level=leader'))).json, { fwd: 'héllo' });
    await http('POST', c.url(leader, '/key'), { fromHttp: 'yes' });
    assert.equal(await f.one('GET', 'fromHttp'), 'yes');
  });

  test('SET with NX, XX and GET; SETNX; bad expiry options are refused', async () => {
    const cl = await connect(follower);
    assert.deepEqual(
      await cl.call(['SET', 'o', 'a', 'XX'], ['SET', 'o', 'a', 'NX'], ['SET', 'o', 'b', 'NX'], ['SET', 'o', 'c', 'XX', 'GET'], ['SET', 'o', 'd', 'GET'], ['GET', 'o'], ['SETNX', 'o', 'e'], ['SETNX', 'o2', 'e']),
      [null, 'OK', null, 'a', 'c', 'd', 0, 1],
    );
    assert.deepEqual(await cl.call(['SET', 'o', 'x', 'NX', 'XX'], ['SET', 'o', 'x', 'BOGUS'], ['SET', 'o', 'x', 'EX', '0'], ['SET', 'o', 'x', 'EX', '10', 'PX', '5'], ['SET', 'o', 'x', 'KEEPTTL']), [
      { error: 'ERR syntax error' },
      { error: 'ERR syntax error' },
      { error: "ERR invalid expire time in 'set' command" },
      { error: 'ERR syntax error' },
      'OK',
    ]);
  });

  test('MSET is atomic (one log entry); MGET, EXISTS, DEL, DBSIZE', async () => {
    const cl = await connect(leader);
    const before = (await http('GET', c.url(leader, '/status'))).json;
    assert.equal(await cl.one('MSET', 'm1', '1', 'm2', '2', 'm3', '3'), 'OK');
    const afterMset = (await http('GET', c.url(leader, '/status'))).json;
    // (A new term would add its no-op entry: count only within one term.)
    if (afterMset.term === before.term) assert.equal(afterMset.lastIndex - before.lastIndex, 1);
    assert.deepEqual(await cl.call(['MGET', 'm1', 'nope', 'm3'], ['EXISTS', 'm1', 'm1', 'nope'], ['DEL', 'm1', 'm2', 'nope'], ['EXISTS', 'm1']), [['1', null, '3'], 2, 2, 0]);
    assert.deepEqual(await cl.call(['MSET', 'a'], ['MSET', 'a', 'b', 'c']), [
      { error: "ERR wrong number of arguments for 'mset' command" },
      { error: "ERR wrong number of arguments for 'mset' command" },
    ]);
    const size = (await cl.one('DBSIZE')) as number;
    assert.equal(size, (await http('GET', c.url(leader, '/status'))).json.keys);
  });

  test('INCR, INCRBY, DECR, DECRBY are exact under concurrent clients on every node', async () => {
    const conns = await Promise.all([leader, follower, c.followers(leader)[1]!].flatMap((id) => [connect(id), connect(id)]));
    await Promise.all(conns.map(async (cl) => {
      for (let i = 0; i < 10; i++) await cl.call(['INCR', 'ctr'], ['INCRBY', 'ctr', '5'], ['DECR', 'ctr'], ['DECRBY', 'ctr', '2']);
    }));
    assert.equal(await conns[0]!.one('GET', 'ctr'), String(6 * 10 * 3));
  });

  test('INCR of a non-integer, and overflow, are refused with Redis errors', async () => {
    const cl = await connect(follower);
    assert.deepEqual(await cl.call(['SET', 'word', 'abc'], ['INCR', 'word'], ['INCRBY', 'ctr2', 'x'], ['INCRBY', 'ctr2', '1.5'], ['SET', 'big', String(Number.MAX_SAFE_INTEGER)], ['INCR', 'big'], ['GET', 'word']), [
      'OK',
      { error: 'ERR value is not an integer or out of range' },
      { error: 'ERR value is not an integer or out of range' },
      { error: 'ERR value is not an integer or out of range' },
      'OK',
      { error: 'ERR increment or decrement would overflow' },
      'abc',
    ]);
  });

  test('APPEND and STRLEN count bytes', async () => {
    const cl = await connect(leader);
    assert.deepEqual(await cl.call(['APPEND', 'ap', 'hé'], ['APPEND', 'ap', 'llo'], ['STRLEN', 'ap'], ['STRLEN', 'none'], ['GET', 'ap']), [3, 6, 6, 0, 'héllo']);
  });

  test('keys and values are binary-safe', async () => {
    const cl = await connect(follower);
    const key = Buffer.from([0, 1, 2, 0xff, 13, 10]);
    const value = Buffer.from([0xfe, 0, 13, 10, 0x80, 0x41]);
    assert.equal(await cl.one('SET', key, value), 'OK');
    const [got] = await (async () => {
      cl.write(frame('GET', key));
      return cl.replies(1);
    })();
    assert.deepEqual(got, value);
    assert.deepEqual(await cl.call(['STRLEN', key], ['APPEND', key, Buffer.from([0xff])], ['EXISTS', key]), [6, 7, 1]);
  });

  test('unknown commands and wrong arity', async () => {
    const cl = await connect(leader);
    assert.deepEqual(await cl.call(['FLUSHALL'], ['NOPE', 'a', 'b'], ['GET'], ['GET', 'a', 'b'], ['ECHO'], ['SETNX', 'x']), [
      { error: "ERR unknown command 'FLUSHALL', with args beginning with: " },
      { error: "ERR unknown command 'NOPE', with args beginning with: 'a' 'b' " },
      { error: "ERR wrong number of arguments for 'get' command" },
      { error: "ERR wrong number of arguments for 'get' command" },
      { error: "ERR wrong number of arguments for 'echo' command" },
      { error: "ERR wrong number of arguments for 'setnx' command" },
    ]);
    assert.equal(await cl.one('PING'), 'PONG');
  });

  test('inline commands, as typed into telnet', async () => {
    const cl = await connect(follower);
    cl.write('PING\r\nset inl "hello world"\r\nget inl\nexists inl\r\n');
    assert.deepEqual((await cl.replies(4)).map(plain), ['PONG', 'OK', 'hello world', 1]);
  });

  test('a pipeline answers strictly in order, and each read sees the writes before it', async () => {
    for (const id of [leader, follower]) {
      const cl = await connect(id);
      const cmds = [['SET', `p-${id}`, '1'], ['GET', `p-${id}`], ['INCR', `p-${id}`], ['GET', `p-${id}`], ['PING'], ['SET', `p-${id}`, 'x'], ['GET', `p-${id}`], ['INCR', `p-${id}`], ['APPEND', `p-${id}`, 'y'], ['GET', `p-${id}`]];
      assert.deepEqual(await cl.call(...cmds), ['OK', '1', 2, '2', 'PONG', 'OK', 'x', { error: 'ERR value is not an integer or out of range' }, 2, 'xy']);
    }
  });

  test('the writes of one pipeline reach Raft together: far fewer log entries than commands', async () => {
    const cl = await connect(leader);
    const before = (await http('GET', c.url(leader, '/status'))).json.lastIndex as number;
    const cmds = Array.from({ length: 64 }, (_, i) => ['SET', `batch-${i}`, String(i)]);
    const replies = await cl.call(...cmds);
    assert.deepEqual(replies, cmds.map(() => 'OK'));
    const entries = ((await http('GET', c.url(leader, '/status'))).json.lastIndex as number) - before;
    assert.ok(entries >= 1 && entries <= 8, `64 pipelined SETs took ${entries} log entries`);
    assert.equal(await cl.one('GET', 'batch-63'), '63');
  });

  test('a pipeline of large values through a follower stays within the forwarding limits', async () => {
    const f = await connect(follower);
    const value = 'v'.repeat(3500);
    const cmds = Array.from({ length: 80 }, (_, i) => ['SET', `large-${i}`, value]);
    assert.deepEqual(await f.call(...cmds), cmds.map(() => 'OK'));
    assert.equal(await f.one('STRLEN', 'large-79'), 3500);
  });

  test('READLEVEL: linearizable by default; stale and leader per connection', async () => {
    const f = await connect(follower);
    assert.deepEqual(await f.call(['READLEVEL'], ['READLEVEL', 'stale'], ['READLEVEL'], ['READLEVEL', 'bogus']), [
      'linearizable',
      'OK',
      'stale',
      { error: 'ERR unknown read level "bogus"; use stale, leader or linearizable' },
    ]);
    await c.waitFor(async () => (await f.one('GET', 'key1')) === 'value1', 5000, 'stale read on a follower');
    const [ok, got] = await f.call(['READLEVEL', 'leader'], ['GET', 'key1']);
    assert.equal(ok, 'OK');
    assert.match((got as { error: string }).error, new RegExp(`^NOTLEADER not the leader; the leader is ${leader} \\(RESP 127\\.0\\.0\\.1:${c.respPort(leader)}\\)`));
    const l = await connect(leader);
    assert.deepEqual(await l.call(['READLEVEL', 'LEADER'], ['GET', 'key1']), ['OK', 'value1']);
  });

  test('INFO shows the Raft role, leader, term and indexes; keyspace', async () => {
    const f = await connect(follower);
    const info = (await f.one('INFO')) as string;
    assert.match(info, /# Server\r\n/);
    assert.match(info, /\r\nrole:slave\r\n/);
    assert.match(info, new RegExp(`raft_leader:${leader}\r\n`));
    assert.match(info, /raft_term:\d+\r\n/);
    assert.match(info, /raft_commit_index:\d+\r\n/);
    assert.match(info, /raft_applied_index:\d+\r\n/);
    assert.match(info, /# Keyspace\r\ndb0:keys=\d+,expires=0,avg_ttl=0/);
    const repl = (await (await connect(leader)).one('INFO', 'replication')) as string;
    assert.match(repl, /^# Replication\r\nrole:master\r\nraft_role:leader\r\n/);
    assert.doesNotMatch(repl, /# Server/);
  });

  test('COMMAND, COMMAND COUNT, COMMAND DOCS, CONFIG GET, CLIENT, HELLO', async () => {
    const cl = await connect(leader);
    const count = (await cl.one('COMMAND', 'COUNT')) as number;
    const all = (await cl.one('COMMAND')) as unknown[][];
    assert.equal(all.length, count);
    assert.deepEqual(all.find((e) => e[0] === 'get')!.slice(0, 6), ['get', 2, ['readonly', 'fast'], 1, 1, 1]);
    const docs = (await cl.one('COMMAND', 'DOCS', 'set')) as unknown[];
    assert.equal(docs[0], 'set');
    assert.deepEqual((docs[1] as unknown[]).slice(0, 2), ['summary', (docs[1] as string[])[1]]);
    assert.deepEqual(await cl.call(['CONFIG', 'GET', 'save'], ['CONFIG', 'GET', 'append*'], ['CONFIG', 'SET', 'save', '']), [
      ['save', ''],
      ['appendonly', 'no'],
      { error: 'ERR CONFIG SET is not supported by raftkv; see cluster.config.json' },
    ]);
    const [id, none, set, name, bad] = await cl.call(['CLIENT', 'ID'], ['CLIENT', 'GETNAME'], ['CLIENT', 'SETNAME', 'me'], ['CLIENT', 'GETNAME'], ['CLIENT', 'SETNAME', 'a b']);
    assert.equal(typeof id, 'number');
    assert.deepEqual([none, set, name], [null, 'OK', 'me']);
    assert.match((bad as { error: string }).error, /cannot contain spaces/);
    const hello = (await cl.one('HELLO', '2')) as unknown[];
    assert.deepEqual(hello.slice(0, 6), ['server', 'redis', 'version', '7.0.0', 'proto', 2]);
    assert.deepEqual(await cl.call(['HELLO', '3'], ['CLIENT', 'KILL']), [
      { error: 'NOPROTO sorry, this protocol version is not supported' },
      { error: "ERR unknown subcommand 'KILL'. Try CLIENT HELP." },
    ]);
  });

  test('QUIT answers OK and closes; commands after it are not run', async () => {
    const cl = await connect(leader);
    cl.write(Buffer.concat([frame('PING'), frame('QUIT'), frame('SET', 'after-quit', '1')]));
    assert.deepEqual((await cl.replies(2)).map(plain), ['PONG', 'OK']);
    await cl.closed;
    assert.equal(await (await connect(leader)).one('EXISTS', 'after-quit'), 0);
  });

  test('a bulk string over the size limit is a protocol error that closes the connection', async () => {
    const cl = await connect(leader);
    cl.write(frame('SET', 'big', 'x'.repeat(5000)));
    const [r] = await cl.replies(1);
    assert.deepEqual(r, { error: 'ERR Protocol error: invalid bulk length' });
    await cl.closed;
  });
});
