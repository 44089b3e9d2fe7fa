// The key-value state machine every simulated node applies its log to, and
// the commands clients put in the log. Snapshots are a JSON serialization of
// the map plus the client-session table, so a node restored from a snapshot
// can still tell whether a client's write was applied before it.

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export type WriteCommand =
  | { client: number; op: number; kind: 'put'; key: string; value: string }
  | { client: number; op: number; kind: 'delete'; key: string }
  | { client: number; op: number; kind: 'cas'; key: string; expect: string | null; value: string };

/** The liveness probe the world writes after healing the cluster; it touches no key. */
export interface ProbeCommand {
  kind: 'probe';
  probe: number;
}

export type Command = WriteCommand | ProbeCommand;

/** What applying a write returned (cas: whether it swapped). */
export interface WriteResult {
  swapped?: boolean;
}

/** Per client: the last op applied and its result (Raft thesis §6.3). */
export interface Session {
  op: number;
  result: WriteResult;
}

export function encodeCommand(cmd: Command): Uint8Array {
  return encoder.encode(JSON.stringify(cmd));
}

export function decodeCommand(data: Uint8Array): Command {
  return JSON.parse(decoder.decode(data)) as Command;
}

export class KvStateMachine {
  readonly kv = new Map<string, string>();
  readonly sessions = new Map<number, Session>();
  /** Index of the last log entry applied (or of the snapshot restored). */
  applied = 0;

  /** Apply one command at `index`; returns the write's result (undefined for a probe). */
  apply(index: number, cmd: Command): WriteResult | undefined {
    this.applied = index;
    if (cmd.kind === 'probe') return undefined;
    const last = this.sessions.get(cmd.client);
    // A retried command is answered with its first result, not applied twice.
    if (last && last.op >= cmd.op) return last.op === cmd.op ? last.result : {};
    let result: WriteResult = {};
    switch (cmd.kind) {
      case 'put':
        this.kv.set(cmd.key, cmd.value);
        break;
      case 'delete':
        this.kv.delete(cmd.key);
        break;
      case 'cas': {
        const current = this.kv.get(cmd.key) ?? null;
        const swapped = current === cmd.expect;
        if (swapped) this.kv.set(cmd.key, cmd.value);
        result = { swapped };
        break;
      }
    }
    this.sessions.set(cmd.client, { op: cmd.op, result });
    return result;
  }

  /** An entry that carries no command (no-op, membership change) still advances `applied`. */
  skip(index: number): void {
    this.applied = index;
  }

  get(key: string): string | null {
    return this.kv.get(key) ?? null;
  }

  serialize(): Uint8Array {
    const kv = [...this.kv.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const sessions = [...this.sessions.entries()].sort((a, b) => a[0] - b[0]);
    return encoder.encode(JSON.stringify({ kv, sessions }));
  }

  static restore(bytes: Uint8Array, index: number): KvStateMachine {
    const sm = new KvStateMachine();
    const parsed = JSON.parse(decoder.decode(bytes)) as { kv: [string, string][]; sessions: [number, Session][] };
    for (const [k, v] of parsed.kv) sm.kv.set(k, v);
    for (const [c, s] of parsed.sessions) sm.sessions.set(c, s);
    sm.applied = index;
    return sm;
  }

  /** The map's contents as a string: equal digests at the same index mean equal states. */
  digest(): string {
    const keys = [...this.kv.keys()].sort();
    let s = '';
    for (const k of keys) s += `${k}=${this.kv.get(k)};`;
    return s;
  }
}
