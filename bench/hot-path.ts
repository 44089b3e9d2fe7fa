// JS cost of each step a replicated SET goes through, alone, in this thread:
// what bench/cpu-per-write.ts cannot separate. Per request: RESP parse,
// command lookup and checks, the state-machine command, validation, the
// envelope's encoding (leader) and decoding (every node), the state
// machine's apply, the reply. Per batch of `--batch` entries (default 21,
// what one Ready carries at redis-benchmark -c 50 -P 1): the peer frame's
// encoding and decoding, and the SQL text of a persist with its applies.
//
//   node dist/bench/hot-path.js [--ms 300] [--batch 21]

import { DEFAULT_LIMITS } from '../src/common/limits.js';
import { validateCommand } from '../src/node/command-validation.js';
import { KvState, decodeEnvelope, encodeEnvelope, type KvResult, type SessionWrite } from '../src/node/kv-state.js';
import type { KvWrite } from '../src/common/kv-write.js';
import { EntryKind, MessageType, type Entry, type Message } from '../src/raft/types.js';
import { crc32 } from '../src/raft/snapshot.js';
import type { WriteCommand } from '../src/resp/command.js';
import { COMMANDS } from '../src/resp/commands/index.js';
import { RespParser } from '../src/resp/parser.js';
import { BlobLiterals, int, SqlScript, text } from '../src/storage/sql-script.js';
import { decodeBatch, encodeBatchFrame } from '../src/transport/codec.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const MS = opt('--ms', 300);
const BATCH = opt('--batch', 21);

let sink: unknown;

/** ns per call of fn, median of 5 timed rounds of MS/5 ms each (after one warm-up round). */
function time(fn: () => unknown): number {
  const rounds: number[] = [];
  for (let r = 0; r < 6; r++) {
    let n = 0;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < MS / 5) {
      for (let i = 0; i < 64; i++) sink = fn();
      n += 64;
      t = performance.now();
    }
    if (r > 0) rounds.push(((t - t0) * 1e6) / n);
  }
  rounds.sort((a, b) => a - b);
  return rounds[2]!;
}

const frame = Buffer.from('*3\r\n$3\r\nSET\r\n$16\r\nkey:__rand_int__\r\n$3\r\nxxx\r\n');
const parser = new RespParser({ maxBulkBytes: 1 << 20 });
const setArgs = parser.feed(frame).commands[0]!;
const set = COMMANDS.get('set') as WriteCommand;
const cmd = set.prepare(setArgs);
const limits = { ...DEFAULT_LIMITS };
const env = { cmd: validateCommand(cmd, limits) };
const data = encodeEnvelope(env);
const kv = new KvState();
let index = 1;
const ok: KvResult = { ok: true, count: 1 };

const entries: Entry[] = Array.from({ length: BATCH }, (_, i) => ({ index: 1000 + i, term: 3, kind: EntryKind.Normal, data: encodeEnvelope(env) }));
const app: Message = { type: MessageType.App, from: 'node0', to: 'node1', term: 3, index: 999, logTerm: 3, commit: 990, entries };
const appFrame = encodeBatchFrame([app]);
const writes: KvWrite[] = entries.map(() => ({ key: 'key:__rand_int__', value: 'xxx' }));

function persistScript(): string {
  const script = new SqlScript().add('BEGIN IMMEDIATE');
  // The applies of the previous batch ride along (one key, as redis-benchmark without -r).
  const last = new Map<string, string | null>();
  for (const w of writes) last.set(w.key, w.value);
  const upserts = [...last] as [string, string][];
  script.rows('INSERT INTO kv (k, v)', upserts.length, (i) => `${text(upserts[i]![0])},${text(upserts[i]![1])}`, 'ON CONFLICT (k) DO UPDATE SET v = excluded.v');
  script.add(`UPDATE meta SET applied = ${int(990)} WHERE id = 0`);
  const blobs = new BlobLiterals(entries.map((e) => e.data));
  script.rows('INSERT INTO log (idx, term, kind, data, checksum)', entries.length, (i) => {
    const e = entries[i]!;
    return `${int(e.index)},${int(e.term)},${int(e.kind)},${blobs.literal(i)},${crc32(e.data)}`;
  });
  script.add(`INSERT INTO hard_state (id, term, vote, commit_index) VALUES (0,3,'node0',990) ON CONFLICT (id) DO UPDATE SET term = excluded.term, vote = excluded.vote, commit_index = excluded.commit_index`);
  return script.add('COMMIT').toString();
}

const perRequest: [string, () => unknown][] = [
  ['RESP parse (one SET frame)', () => parser.feed(frame)],
  ['command lookup (name, lower case, map)', () => COMMANDS.get(setArgs[0]!.toString('latin1').toLowerCase())],
  ['SET prepare (key and value to stored strings)', () => set.prepare(setArgs)],
  ['validateCommand', () => validateCommand(cmd, limits)],
  ['encodeEnvelope', () => encodeEnvelope(env)],
  ['decodeEnvelope', () => decodeEnvelope(data)],
  ['KvState.apply', () => kv.apply(decodeEnvelopeCached, index++, [] as KvWrite[], [] as SessionWrite[])],
  ['SET reply', () => set.reply(ok)],
];
const decodeEnvelopeCached = decodeEnvelope(data);
const perBatch: [string, () => unknown][] = [
  [`peer frame encode (App, ${BATCH} entries)`, () => encodeBatchFrame([app])],
  [`peer frame decode (App, ${BATCH} entries)`, () => decodeBatch(appFrame.subarray(4))],
  [`persist SQL text (${BATCH} entries + the applies before them)`, persistScript],
];

console.log(`# hot-path: ns per call, median of 5 rounds (${MS} ms per case); node ${process.version}`);
let total = 0;
for (const [name, fn] of perRequest) {
  const ns = time(fn);
  total += name === 'decodeEnvelope' || name === 'KvState.apply' ? ns * 3 : ns;
  console.log(`${ns.toFixed(0).padStart(7)} ns  ${name}`);
}
for (const [name, fn] of perBatch) {
  const ns = time(fn);
  const perReq = name.includes('decode') || name.includes('SQL') ? (ns * (name.includes('decode') ? 2 : 3)) / BATCH : ns / BATCH;
  total += perReq;
  console.log(`${ns.toFixed(0).padStart(7)} ns  ${name}: ${perReq.toFixed(0)} ns per request${name.includes('decode') ? ' (two followers)' : name.includes('SQL') ? ' (three nodes)' : ''}`);
}
console.log(`≈ ${(total / 1000).toFixed(2)} µs of JS per replicated SET on the three nodes together (decode and apply ×3)`);
void sink;
