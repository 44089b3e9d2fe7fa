// A scripted-interaction environment for the Raft core, in the spirit of
// etcd-io/raft's rafttest InteractionEnv + datadriven (our own code and format).
//
// A script is a text file of blocks:
//
//   # comments (kept verbatim when the file is rewritten)
//   command arg arg key=value
//   ----
//   expected output (no blank lines; a blank line ends the block)
//
// A file whose first non-comment line is `skip: reason` is not run.
// See `InteractionEnv.handle` for the commands.

import {
  ConfChangeType,
  EntryKind,
  MessageType,
  RaftError,
  RawNode,
  SeededRand,
  decodeConfChange,
  fillSnapshotChunk,
  crc32,
  type ConfState,
  type Entry,
  type HardState,
  type Message,
  type NodeId,
  type PersistedState,
  type RaftConfig,
  type Ready,
  type SnapshotMeta,
} from '../../../src/raft/index.js';

// ---------------------------------------------------------------------------
// Script files: parse and render.

export interface ScriptCase {
  /** Comment and blank lines before the command, kept verbatim. */
  pre: string[];
  /** The command lines (usually one). */
  cmds: string[];
  expected: string[];
  /** 1-based line number of the first command line. */
  line: number;
}

export interface Script {
  /** Set when the file starts with a `skip: reason` line. */
  skip: string | undefined;
  cases: ScriptCase[];
  /** Lines after the last case. */
  trailer: string[];
}

const SKIP_RE = /^skip\b:?\s*(.*)$/;

export function parseScript(text: string): Script {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  let skip: string | undefined;
  const cases: ScriptCase[] = [];
  let pre: string[] = [];
  let seenCommand = false;
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.trim() === '' || line.startsWith('#')) {
      pre.push(line);
      i++;
      continue;
    }
    const sk = SKIP_RE.exec(line);
    if (!seenCommand && sk) {
      skip = sk[1] || 'skipped';
      pre.push(line);
      i++;
      continue;
    }
    seenCommand = true;
    const first = i + 1;
    const cmds: string[] = [];
    while (i < lines.length && lines[i] !== '----') {
      if (lines[i]!.trim() === '') throw new Error(`line ${i + 1}: a command must be followed by ---- before a blank line`);
      cmds.push(lines[i]!);
      i++;
    }
    if (i >= lines.length) throw new Error(`line ${first}: command without ----`);
    i++; // ----
    const expected: string[] = [];
    while (i < lines.length && lines[i]!.trim() !== '') expected.push(lines[i++]!);
    if (i < lines.length) i++; // the blank line that ends the block
    cases.push({ pre, cmds, expected, line: first });
    pre = [];
  }
  return { skip, cases, trailer: pre };
}

export function renderScript(s: Script, outputs: string[][]): string {
  const out: string[] = [];
  s.cases.forEach((c, k) => {
    out.push(...c.pre, ...c.cmds, '----', ...(outputs[k] ?? c.expected), '');
  });
  const trailer = [...s.trailer];
  while (trailer.length > 0 && trailer[trailer.length - 1]!.trim() === '') trailer.pop();
  out.push(...trailer);
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out.join('\n') + '\n';
}

export interface CaseResult {
  case: ScriptCase;
  actual: string[];
}

/** Run every case of a script in one fresh environment. */
export function runScript(s: Script): CaseResult[] {
  const env = new InteractionEnv();
  return s.cases.map((c) => {
    const actual: string[] = [];
    for (const cmd of c.cmds) actual.push(...env.run(cmd));
    return { case: c, actual };
  });
}

// ---------------------------------------------------------------------------
// Formatting.

const enc = new TextEncoder();
const dec = new TextDecoder();

function fmtList(ids: readonly string[]): string {
  return `[${ids.join(',')}]`;
}

export function fmtConf(cs: ConfState): string {
  let s = `voters=${fmtList(cs.voters)}`;
  if (cs.learners.length > 0) s += ` learners=${fmtList(cs.learners)}`;
  if (cs.removed.length > 0) s += ` removed=${fmtList(cs.removed)}`;
  return s;
}

export function fmtEntry(e: Entry): string {
  const at = `${e.index}/${e.term}`;
  switch (e.kind) {
    case EntryKind.Noop:
      return `${at} noop`;
    case EntryKind.ConfChange: {
      try {
        const cc = decodeConfChange(e.data);
        return `${at} conf(${cc.type} ${cc.node})`;
      } catch {
        return `${at} conf(?)`;
      }
    }
    default:
      return `${at} ${JSON.stringify(dec.decode(e.data))}`;
  }
}

export function fmtEntries(es: readonly Entry[] | undefined): string {
  return `[${(es ?? []).map(fmtEntry).join(', ')}]`;
}

function fmtHard(h: HardState): string {
  return `term=${h.term} vote=${h.vote || '-'} commit=${h.commit}`;
}

function fmtSnapMeta(s: SnapshotMeta): string {
  return `${s.index}/${s.term} size=${s.size} ${fmtConf(s.confState)}`;
}

export function fmtMsg(m: Message): string {
  let s = `${m.from}->${m.to} ${m.type} term=${m.term}`;
  const ctx = m.context ? ` read=${m.context}` : '';
  switch (m.type) {
    case MessageType.PreVote:
    case MessageType.Vote:
      s += ` last=${m.index}/${m.logTerm}`;
      if (m.force) s += ' force';
      break;
    case MessageType.PreVoteResp:
    case MessageType.VoteResp:
      if (m.reject) s += ' REJECT';
      break;
    case MessageType.App:
      s += ` prev=${m.index}/${m.logTerm} commit=${m.commit} entries=${fmtEntries(m.entries)}`;
      break;
    case MessageType.AppResp:
      if (m.reject) s += ` REJECT index=${m.index} hint=${m.rejectHint ?? 0}/${m.logTerm}`;
      else s += ` index=${m.index}`;
      break;
    case MessageType.Heartbeat:
      s += ` commit=${m.commit}${ctx}`;
      break;
    case MessageType.HeartbeatResp:
      s += ctx;
      break;
    case MessageType.Snap: {
      const meta = m.snapshot!;
      s += ` snap=${fmtSnapMeta(meta)}`;
      const off = m.offset ?? 0;
      if (m.data === undefined) s += ` offset=${off} chunk=${m.chunkSize}`;
      else {
        s += ` bytes=[${off},${off + m.data.byteLength})`;
        if (m.checksum !== crc32(m.data)) s += ' BADCRC';
        if (m.last) s += ' last';
      }
      break;
    }
    case MessageType.SnapResp:
      s += ` snap=${m.index} offset=${m.offset ?? 0}`;
      if (m.reject) s += ' REJECT';
      break;
    case MessageType.TimeoutNow:
      break;
    case MessageType.ReadIndex:
      s += ` ctx=${m.context ?? 0}`;
      break;
    case MessageType.ReadIndexResp:
      s += ` ctx=${m.context ?? 0} index=${m.index}`;
      break;
  }
  return s;
}

function fmtValue(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(fmtValue).join(',')}]`;
  if (v === '') return '-';
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

// ---------------------------------------------------------------------------
// The environment.

/** The replicated state machine: the applied Normal entries, by index. */
type StateMachine = Map<number, string>;

function encodeSM(sm: StateMachine, upTo: number): Uint8Array {
  const pairs = [...sm].filter(([i]) => i <= upTo).sort((a, b) => a[0] - b[0]);
  return enc.encode(JSON.stringify(pairs));
}

function decodeSM(bytes: Uint8Array): StateMachine {
  return new Map(JSON.parse(dec.decode(bytes)) as [number, string][]);
}

/** What survives a crash. */
interface Storage {
  hard: HardState;
  entries: Entry[];
  snapshot: SnapshotMeta | undefined;
  snapshotBytes: Uint8Array | undefined;
  /** The state machine is durable, together with its applied index. */
  applied: number;
  sm: StateMachine;
  /** Chunks of a snapshot being received. */
  incoming: { index: number; term: number; chunks: Uint8Array[]; size: number } | undefined;
}

interface TestNode {
  id: NodeId;
  cfg: RaftConfig;
  rn: RawNode;
  store: Storage;
}

interface NodeOptions {
  preVote?: boolean;
  checkQuorum?: boolean;
  electionTicks?: [number, number];
  heartbeatTicks?: number;
  compactionTrailing?: number;
  snapshotChunkBytes?: number;
  maxMsgEntries?: number;
  maxInflightMsgs?: number;
  maxUncommittedBytes?: number;
  maxApplyBytes?: number;
  seed?: number;
}

interface Args {
  pos: string[];
  kv: Map<string, string>;
}

function parseArgs(tokens: string[]): Args {
  const pos: string[] = [];
  const kv = new Map<string, string>();
  for (const t of tokens) {
    const eq = t.indexOf('=');
    if (eq > 0) kv.set(t.slice(0, eq), t.slice(eq + 1));
    else pos.push(t);
  }
  return { pos, kv };
}

class UsageError extends Error {}

function nodeId(s: string | undefined): NodeId {
  if (s === undefined || s === '') throw new UsageError('a node id is missing');
  if (/^\d+$/.test(s)) return `n${s}`;
  if (/^n\d+$/.test(s)) return s;
  throw new UsageError(`bad node id ${JSON.stringify(s)}`);
}

function nodeNum(id: NodeId): number {
  return Number(id.slice(1));
}

function int(s: string | undefined, what: string): number {
  if (s === undefined || !/^-?\d+$/.test(s)) throw new UsageError(`${what}: expected an integer, got ${JSON.stringify(s)}`);
  return Number(s);
}

function bool(s: string, what: string): boolean {
  if (s === 'true') return true;
  if (s === 'false') return false;
  throw new UsageError(`${what}: expected true or false, got ${JSON.stringify(s)}`);
}

function parseNodeOptions(kv: Map<string, string>): NodeOptions {
  const o: NodeOptions = {};
  for (const [k, v] of kv) {
    switch (k) {
      case 'prevote':
        o.preVote = bool(v, k);
        break;
      case 'checkquorum':
        o.checkQuorum = bool(v, k);
        break;
      case 'election': {
        const [a, b] = v.split(',');
        o.electionTicks = [int(a, k), int(b, k)];
        break;
      }
      case 'heartbeat':
        o.heartbeatTicks = int(v, k);
        break;
      case 'trailing':
        o.compactionTrailing = int(v, k);
        break;
      case 'snapchunk':
        o.snapshotChunkBytes = int(v, k);
        break;
      case 'maxentries':
        o.maxMsgEntries = int(v, k);
        break;
      case 'maxinflight':
        o.maxInflightMsgs = int(v, k);
        break;
      case 'maxuncommitted':
        o.maxUncommittedBytes = int(v, k);
        break;
      case 'maxapply':
        o.maxApplyBytes = int(v, k);
        break;
      case 'seed':
        o.seed = int(v, k);
        break;
      default:
        throw new UsageError(`unknown option ${k}`);
    }
  }
  return o;
}

function emptyStorage(): Storage {
  return { hard: { term: 0, vote: '', commit: 0 }, entries: [], snapshot: undefined, snapshotBytes: undefined, applied: 0, sm: new Map(), incoming: undefined };
}

export class InteractionEnv {
  readonly nodes = new Map<NodeId, TestNode>();
  /** Messages in flight, in send order. */
  queue: Message[] = [];
  /** Partition groups; undefined: everyone reaches everyone. */
  #groups: NodeId[][] | undefined;
  #defaults: NodeOptions = {};
  #out: string[] = [];
  #indent = '';
  #logEvents = true;

  /** Run one command line; returns its output lines ("ok" when silent). */
  run(line: string): string[] {
    this.#out = [];
    this.#indent = '';
    const tokens = line.trim().split(/\s+/);
    const cmd = tokens[0]!;
    try {
      this.#handle(cmd, tokens.slice(1), line.trim().slice(cmd.length).trim());
    } catch (e) {
      if (e instanceof UsageError) this.#print(`usage error: ${e.message}`);
      else this.#printError(e);
    }
    const out = this.#out.map((l) => (l.trim() === '' ? '.' : l.replace(/\s+$/, '')));
    return out.length > 0 ? out : ['ok'];
  }

  #print(line: string): void {
    this.#out.push(this.#indent + line);
  }

  #printError(e: unknown): void {
    if (e instanceof RaftError) this.#print(`error: ${e.code}: ${e.message}`);
    else if (e instanceof Error) this.#print(`error: ${e.name}: ${e.message}`);
    else this.#print(`error: ${String(e)}`);
  }

  #withIndent(fn: () => void): void {
    const saved = this.#indent;
    this.#indent += '  ';
    try {
      fn();
    } finally {
      this.#indent = saved;
    }
  }

  #node(s: string | undefined): TestNode {
    const id = nodeId(s);
    const n = this.nodes.get(id);
    if (!n) throw new UsageError(`no node ${id}`);
    return n;
  }

  #ids(args: string[]): NodeId[] {
    if (args.length === 0) return this.#allIds();
    return args.map((a) => this.#node(a).id);
  }

  #allIds(): NodeId[] {
    return [...this.nodes.keys()].sort((a, b) => nodeNum(a) - nodeNum(b));
  }

  #handle(cmd: string, tokens: string[], rest: string): void {
    const a = parseArgs(tokens);
    switch (cmd) {
      case 'log-level':
        // log-level info|none: show the core's logger events or not.
        this.#logEvents = a.pos[0] !== 'none';
        return;
      case 'add-nodes':
        // add-nodes N [prevote=.. checkquorum=.. election=min,max heartbeat=.. trailing=.. snapchunk=.. maxentries=.. maxinflight=.. maxuncommitted=.. maxapply=.. seed=..]
        return this.#addNodes(int(a.pos[0], 'add-nodes'), parseNodeOptions(a.kv));
      case 'add-node':
        // add-node ID [options]: a node that joins later (no bootstrap).
        return this.#addNode(nodeId(a.pos[0]), parseNodeOptions(a.kv));
      case 'campaign':
        return this.#logged(this.#node(a.pos[0]), (n) => n.rn.campaign());
      case 'propose': {
        const n = this.#node(a.pos[0]);
        const data = rest.replace(/^\S+\s*/, '');
        return this.#logged(n, (n) => {
          const ref = n.rn.propose(enc.encode(data));
          this.#print(`${n.id}: proposed at ${ref.index}/${ref.term}`);
        });
      }
      case 'propose-conf-change': {
        const n = this.#node(a.pos[0]);
        const type = a.pos[1] as ConfChangeType;
        if (!Object.values(ConfChangeType).includes(type)) throw new UsageError(`unknown conf change ${a.pos[1]}`);
        const target = nodeId(a.pos[2]);
        return this.#logged(n, (n) => {
          const ref = n.rn.proposeConfChange({ type, node: target });
          this.#print(`${n.id}: proposed at ${ref.index}/${ref.term}`);
        });
      }
      case 'transfer-leadership':
        return this.#logged(this.#node(a.pos[0]), (n) => n.rn.transferLeadership(nodeId(a.pos[1])));
      case 'read-index': {
        const ctx = int(a.pos[1], 'read-index context');
        return this.#logged(this.#node(a.pos[0]), (n) => n.rn.readIndex(ctx));
      }
      case 'tick': {
        const n = this.#node(a.pos[0]);
        const count = int(a.pos[1], 'tick count');
        return this.#logged(n, (n) => {
          for (let i = 0; i < count; i++) n.rn.tick();
        });
      }
      case 'tick-heartbeat': {
        const n = this.#node(a.pos[0]);
        return this.#logged(n, (n) => {
          const hb = n.rn.raft.cfg.heartbeatTicks;
          for (let i = 0; i < hb; i++) n.rn.tick();
        });
      }
      case 'tick-election':
        // Tick until the election timer fires once (a follower campaigns,
        // a leader runs its CheckQuorum round), at most electionTicks max.
        return this.#logged(this.#node(a.pos[0]), (n) => {
          const r = n.rn.raft;
          const max = r.cfg.electionTicks[1];
          let i = 0;
          while (i < max) {
            n.rn.tick();
            i++;
            if (r.electionElapsed === 0) break;
          }
          this.#print(`${n.id}: ticked ${i}`);
        });
      case 'process-ready':
        for (const id of this.#ids(a.pos)) this.#processReady(this.nodes.get(id)!);
        return;
      case 'crash-mid-ready':
        // Take the ready, send what may leave before the disk, then crash.
        return this.#crashMidReady(this.#node(a.pos[0]));
      case 'deliver-msgs': {
        const type = a.kv.get('type');
        for (const id of this.#ids(a.pos)) this.#deliver(id, type);
        return;
      }
      case 'drop': {
        // drop ID...: discard the messages in flight to these nodes.
        const ids = new Set(a.pos.map(nodeId));
        const dropped = this.queue.filter((m) => ids.has(m.to));
        this.queue = this.queue.filter((m) => !ids.has(m.to));
        for (const m of dropped) this.#print(`dropped ${fmtMsg(m)}`);
        return;
      }
      case 'partition': {
        // partition 1,2 3: only nodes of one group reach each other; a node in no group reaches nobody.
        this.#groups = a.pos.map((g) => g.split(',').map(nodeId));
        this.#print(`partition: ${this.#groups.map(fmtList).join(' | ')}`);
        const cut = this.queue.filter((m) => !this.#reachable(m.from, m.to));
        this.queue = this.queue.filter((m) => this.#reachable(m.from, m.to));
        for (const m of cut) this.#print(`dropped ${fmtMsg(m)}`);
        return;
      }
      case 'isolate': {
        const id = nodeId(a.pos[0]);
        const others = this.#allIds().filter((x) => x !== id);
        return this.#handle('partition', [String(nodeNum(id)), others.map((x) => String(nodeNum(x))).join(',')], '');
      }
      case 'heal':
        this.#groups = undefined;
        return;
      case 'stabilize':
        return this.#stabilize(this.#ids(a.pos));
      case 'status':
        for (const id of this.#ids(a.pos)) this.#status(this.nodes.get(id)!);
        return;
      case 'raft-log':
        for (const id of this.#ids(a.pos)) this.#raftLog(this.nodes.get(id)!);
        return;
      case 'storage':
        for (const id of this.#ids(a.pos)) this.#storage(this.nodes.get(id)!);
        return;
      case 'compact':
        return this.#compact(this.#node(a.pos[0]), int(a.pos[1], 'compact index'));
      case 'restart':
        return this.#restart(this.#node(a.pos[0]));
      case 'msgs':
        // msgs: the messages in flight.
        for (const m of this.queue) this.#print(fmtMsg(m));
        return;
      default:
        throw new UsageError(`unknown command ${cmd}`);
    }
  }

  /** Run fn against a node, printing its logger events and any error it throws. */
  #logged(n: TestNode, fn: (n: TestNode) => void): void {
    try {
      fn(n);
    } catch (e) {
      this.#printError(e);
    }
  }

  // ---- nodes ----

  #config(id: NodeId, o: NodeOptions, bootstrap: NodeId[] | undefined): RaftConfig {
    const opts = { ...this.#defaults, ...o };
    const seed = (opts.seed ?? 1) * 1000 + nodeNum(id);
    return {
      id,
      rand: new SeededRand(seed),
      bootstrap,
      preVote: opts.preVote,
      checkQuorum: opts.checkQuorum,
      electionTicks: opts.electionTicks,
      heartbeatTicks: opts.heartbeatTicks,
      compactionTrailing: opts.compactionTrailing,
      snapshotChunkBytes: opts.snapshotChunkBytes,
      maxMsgEntries: opts.maxMsgEntries,
      maxInflightMsgs: opts.maxInflightMsgs,
      maxUncommittedBytes: opts.maxUncommittedBytes,
      maxApplyBytes: opts.maxApplyBytes,
      logger: (event, fields) => this.#logEvent(id, event, fields),
    };
  }

  #logEvent(id: NodeId, event: string, fields: Record<string, unknown>): void {
    if (!this.#logEvents) return;
    const kv = Object.entries(fields)
      .filter(([k, v]) => k !== 'id' && v !== undefined)
      .map(([k, v]) => `${k}=${fmtValue(v)}`);
    this.#print(`INFO ${id} ${event}${kv.length > 0 ? ' ' + kv.join(' ') : ''}`);
  }

  #addNodes(count: number, o: NodeOptions): void {
    if (this.nodes.size > 0) throw new UsageError('add-nodes creates the founding nodes of an empty environment');
    this.#defaults = o;
    const ids = Array.from({ length: count }, (_, i) => `n${i + 1}`);
    for (const id of ids) {
      // The founding configuration: create, persist and apply it quietly, then summarize.
      const logEvents = this.#logEvents;
      this.#logEvents = false;
      const cfg = this.#config(id, {}, ids);
      const n: TestNode = { id, cfg, rn: new RawNode(cfg), store: emptyStorage() };
      this.nodes.set(id, n);
      const rd = n.rn.ready();
      this.#persist(n, rd);
      this.#apply(n, rd);
      n.rn.advance(rd);
      this.#logEvents = logEvents;
      const st = n.rn.status();
      this.#print(`${id}: bootstrap ${fmtConf(st.confState)} term=${st.term} commit=${st.commit} applied=${st.applied} log=${fmtEntries(rd.entries)}`);
    }
  }

  #addNode(id: NodeId, o: NodeOptions): void {
    if (this.nodes.has(id)) throw new UsageError(`${id} exists`);
    const cfg = this.#config(id, o, undefined);
    const n: TestNode = { id, cfg, rn: new RawNode(cfg), store: emptyStorage() };
    this.nodes.set(id, n);
    const st = n.rn.status();
    this.#print(`${id}: created, ${fmtConf(st.confState)} term=${st.term} log empty`);
  }

  #restart(n: TestNode): void {
    const r = n.rn.raft;
    const lost = r.log.unstableEntries();
    const lostMsgs = r.msgs.length;
    this.#print(`${n.id}: crash; lost ${lost.length > 0 ? `unpersisted entries ${fmtEntries(lost)}` : 'no entries'}${lostMsgs > 0 ? `, ${lostMsgs} unsent messages` : ''}`);
    this.#restartFromStore(n);
  }

  // ---- the network ----

  #reachable(from: NodeId, to: NodeId): boolean {
    if (!this.#groups) return true;
    return this.#groups.some((g) => g.includes(from) && g.includes(to));
  }

  /** Send a ready's messages; identical ones are printed once with a count. */
  #sendAll(n: TestNode, msgs: Message[]): void {
    const lines: string[] = [];
    const counts = new Map<string, number>();
    for (const m of msgs) {
      const line = this.#send(n, m);
      if (!counts.has(line)) lines.push(line);
      counts.set(line, (counts.get(line) ?? 0) + 1);
    }
    for (const l of lines) this.#print(counts.get(l)! > 1 ? `${l} (x${counts.get(l)})` : l);
  }

  /** Put one message on the network; returns how to print it. */
  #send(n: TestNode, m: Message): string {
    if (m.type === MessageType.Snap && m.data === undefined) {
      const s = n.store;
      if (!s.snapshotBytes || s.snapshot?.index !== m.snapshot?.index) {
        return `${fmtMsg(m)} (ERROR: no stored snapshot at ${m.snapshot?.index})`;
      }
      fillSnapshotChunk(m, s.snapshotBytes);
    }
    if (!this.#reachable(m.from, m.to)) return `${fmtMsg(m)} (dropped: partitioned)`;
    this.queue.push(structuredClone(m));
    return fmtMsg(m);
  }

  #deliver(id: NodeId, type: string | undefined): boolean {
    const n = this.nodes.get(id)!;
    const take = this.queue.filter((m) => m.to === id && (type === undefined || m.type === type));
    if (take.length === 0) return false;
    this.queue = this.queue.filter((m) => !take.includes(m));
    this.#print(`> ${id} receiving messages`);
    this.#withIndent(() => {
      for (const m of take) {
        this.#print(fmtMsg(m));
        this.#withIndent(() => this.#logged(n, (n) => n.rn.step(m)));
      }
    });
    return true;
  }

  // ---- ready handling ----

  #processReady(n: TestNode): void {
    const rn = n.rn;
    if (!rn.hasReady()) return;
    this.#print(`> ${n.id} handling ready`);
    this.#withIndent(() => {
      let rd: Ready;
      try {
        rd = rn.ready();
      } catch (e) {
        this.#printError(e);
        return;
      }
      if (rd.softState) this.#print(`state: ${rd.softState.role} leader=${rd.softState.leader || '-'}`);
      // 1. messages that may leave at once
      if (rd.messages.length > 0) {
        this.#print('send:');
        this.#withIndent(() => this.#sendAll(n, rd.messages));
      }
      // 2. persist
      this.#persist(n, rd, true);
      // 3. messages that needed the disk
      if (rd.persistedMessages.length > 0) {
        this.#print('send after persist:');
        this.#withIndent(() => this.#sendAll(n, rd.persistedMessages));
      }
      // 4. apply
      if (rd.committed.length > 0) this.#print(`apply: ${fmtEntries(rd.committed)}`);
      this.#apply(n, rd);
      // 5. reads
      for (const rs of rd.readStates) {
        const ok = n.store.applied >= rs.index ? `(applied ${n.store.applied}: serve now)` : `(wait for apply of ${rs.index})`;
        this.#print(`read state: ctx=${rs.context} index=${rs.index} ${ok}`);
      }
      if (rd.droppedReads.length > 0) this.#print(`dropped reads: ${fmtList(rd.droppedReads.map(String))}`);
      // 6. advance
      this.#logged(n, (n) => n.rn.advance(rd));
    });
  }

  #crashMidReady(n: TestNode): void {
    if (!n.rn.hasReady()) {
      this.#print(`${n.id}: nothing ready`);
    } else {
      this.#print(`> ${n.id} handling ready, crashing before the disk write`);
      this.#withIndent(() => {
        const rd = n.rn.ready();
        if (rd.messages.length > 0) {
          this.#print('send:');
          this.#withIndent(() => this.#sendAll(n, rd.messages));
        }
        this.#print(`not persisted: entries=${fmtEntries(rd.entries)}${rd.hardState ? ` hard=(${fmtHard(rd.hardState)})` : ''}`);
        if (rd.persistedMessages.length > 0) this.#print(`not sent: ${rd.persistedMessages.map(fmtMsg).join('; ')}`);
      });
    }
    // Whatever the core still holds in memory is gone as well.
    this.#restartFromStore(n);
  }

  #restartFromStore(n: TestNode): void {
    const s = n.store;
    const persisted: PersistedState = { hardState: { ...s.hard }, snapshot: s.snapshot, entries: structuredClone(s.entries), applied: s.applied };
    // The constructor replays the applied configuration changes; keep that quiet.
    const logEvents = this.#logEvents;
    this.#logEvents = false;
    try {
      n.rn = new RawNode(n.cfg, persisted);
    } catch (e) {
      this.#logEvents = logEvents;
      this.#printError(e);
      return;
    }
    this.#logEvents = logEvents;
    const st = n.rn.status();
    this.#print(`${n.id}: restarted ${st.role} term=${st.term} vote=${st.vote || '-'} commit=${st.commit} applied=${st.applied} log=[${st.firstIndex},${st.lastIndex}] ${fmtConf(st.confState)}`);
  }

  /** Step 2 of a ready: make its state durable in the node's storage. */
  #persist(n: TestNode, rd: Ready, print = false): void {
    const s = n.store;
    if (rd.hardState) {
      s.hard = { ...rd.hardState };
      if (print) this.#print(`persist hard state: ${fmtHard(rd.hardState)}`);
    }
    if (rd.snapshotChunk) {
      const c = rd.snapshotChunk;
      if (c.offset === 0 || !s.incoming || s.incoming.index !== c.meta.index || s.incoming.term !== c.meta.term) {
        s.incoming = { index: c.meta.index, term: c.meta.term, chunks: [], size: 0 };
      }
      if (c.offset !== s.incoming.size) this.#print(`ERROR: chunk at offset ${c.offset}, stored ${s.incoming.size} bytes`);
      s.incoming.chunks.push(c.data.slice());
      s.incoming.size += c.data.byteLength;
      if (print) this.#print(`persist snapshot chunk: ${c.meta.index}/${c.meta.term} bytes=[${c.offset},${c.offset + c.data.byteLength})${c.last ? ' last' : ''}`);
    }
    if (rd.snapshot) {
      const meta = rd.snapshot;
      const inc = s.incoming;
      if (!inc || inc.index !== meta.index || inc.term !== meta.term || inc.size !== meta.size) {
        this.#print(`ERROR: install of snapshot ${meta.index}/${meta.term} without its ${meta.size} bytes`);
      } else {
        const bytes = new Uint8Array(inc.size);
        let off = 0;
        for (const ch of inc.chunks) {
          bytes.set(ch, off);
          off += ch.byteLength;
        }
        s.snapshot = meta;
        s.snapshotBytes = bytes;
        s.sm = decodeSM(bytes);
        s.applied = meta.index;
        s.incoming = undefined;
        s.entries = rd.snapshotKeepsLog ? s.entries.filter((e) => e.index > meta.index) : [];
        if (print) this.#print(`install snapshot: ${fmtSnapMeta(meta)} keepLog=${rd.snapshotKeepsLog} -> applied=${meta.index} sm=${fmtSM(s.sm)}`);
      }
    }
    if (rd.entries.length > 0) {
      const first = rd.entries[0]!.index;
      s.entries = s.entries.filter((e) => e.index < first).concat(structuredClone(rd.entries));
      if (print) this.#print(`persist entries: ${fmtEntries(rd.entries)}`);
    }
  }

  #apply(n: TestNode, rd: Ready): void {
    const s = n.store;
    for (const e of rd.committed) {
      if (e.index !== s.applied + 1) this.#print(`ERROR: applying ${e.index} after ${s.applied}`);
      if (e.kind === EntryKind.Normal) s.sm.set(e.index, dec.decode(e.data));
      s.applied = e.index;
    }
  }

  #stabilize(ids: NodeId[]): void {
    for (let round = 0; round < 500; round++) {
      let busy = false;
      for (const id of ids) if (this.#deliver(id, undefined)) busy = true;
      for (const id of ids) {
        const n = this.nodes.get(id)!;
        if (n.rn.hasReady()) {
          busy = true;
          this.#processReady(n);
        }
      }
      if (!busy) return;
    }
    this.#print('ERROR: not stable after 500 rounds');
  }

  // ---- inspection ----

  #status(n: TestNode): void {
    const st = n.rn.status();
    const r = n.rn.raft;
    let line = `${n.id}: ${st.role} term=${st.term} vote=${st.vote || '-'} leader=${st.leader || '-'} commit=${st.commit} applied=${st.applied} log=[${st.firstIndex},${st.lastIndex}] lastTerm=${st.lastTerm}`;
    if (st.snapshotIndex > 0) line += ` snapshot=${st.snapshotIndex}`;
    if (st.transferee) line += ` transferee=${st.transferee}`;
    this.#print(line);
    this.#withIndent(() => {
      this.#print(`conf: ${fmtConf(st.confState)}`);
      if (st.role !== 'leader') return;
      for (const id of [...r.progress.keys()].sort((a, b) => nodeNum(a) - nodeNum(b))) {
        const pr = r.progress.get(id)!;
        let p = `${id}: ${pr.state} match=${pr.match} next=${pr.next}`;
        if (pr.isLearner) p += ' learner';
        if (id !== n.id && pr.isPaused()) p += ' paused';
        if (pr.inflights.count > 0) p += ` inflight=${pr.inflights.count}`;
        if (pr.state === 'snapshot') p += ` snap=${pr.snapshotIndex} offset=${pr.snapshotOffset}`;
        this.#print(p);
      }
    });
  }

  #raftLog(n: TestNode): void {
    const log = n.rn.raft.log;
    const es = log.slice(log.firstIndex(), log.lastIndex() + 1) ?? [];
    const snap = log.snapshot ? ` snapshot=${log.snapshot.index}/${log.snapshot.term}` : '';
    this.#print(`${n.id}: first=${log.firstIndex()} last=${log.lastIndex()} stable=${log.stable} committed=${log.committed} applied=${log.applied}${snap}`);
    this.#withIndent(() => {
      if (es.length === 0) this.#print('(no entries)');
      for (const e of es) this.#print(fmtEntry(e));
    });
  }

  #storage(n: TestNode): void {
    const s = n.store;
    const es = s.entries.length > 0 ? `[${s.entries[0]!.index},${s.entries[s.entries.length - 1]!.index}]` : '[]';
    const snap = s.snapshot ? `${s.snapshot.index}/${s.snapshot.term}` : 'none';
    this.#print(`${n.id}: hard=(${fmtHard(s.hard)}) entries=${es} snapshot=${snap} applied=${s.applied} sm=${fmtSM(s.sm)}`);
  }

  #compact(n: TestNode, index: number): void {
    const s = n.store;
    if (index > s.applied) {
      this.#print(`error: ${n.id} applied only ${s.applied}`);
      return;
    }
    const bytes = encodeSM(s.sm, index);
    this.#logged(n, (n) => {
      n.rn.snapshotCaptured(index, bytes.byteLength);
      const log = n.rn.raft.log;
      if (log.snapshot?.index !== index) return;
      s.snapshot = log.snapshot;
      s.snapshotBytes = bytes;
      s.entries = s.entries.filter((e) => e.index >= log.firstIndex());
      this.#print(`${n.id}: snapshot ${fmtSnapMeta(log.snapshot)}; log now [${log.firstIndex()},${log.lastIndex()}]`);
    });
  }
}

function fmtSM(sm: StateMachine): string {
  const pairs = [...sm].sort((a, b) => a[0] - b[0]).map(([i, v]) => `${i}:${JSON.stringify(v)}`);
  return `{${pairs.join(' ')}}`;
}
