// Structured logs: one record per event with the node id (and term and index
// on Raft events). A node in a worker thread hands records to the launcher,
// which prints them readable in a terminal or as JSON lines.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export interface LogRecord {
  level: LogLevel;
  msg: string;
  time: number;
  [field: string]: unknown;
}

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function makeLogger(sink: (r: LogRecord) => void, min: LogLevel = 'info', base: Record<string, unknown> = {}): Logger {
  const at = (level: LogLevel) => (msg: string, fields: Record<string, unknown> = {}) => {
    if (RANK[level] < RANK[min]) return;
    sink({ level, msg, time: Date.now(), ...base, ...fields });
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** One readable line: time, level, node, message, then the other fields as k=v. */
export function formatRecord(r: LogRecord): string {
  const { level, msg, time, id, ...rest } = r;
  const t = new Date(time).toISOString().slice(11, 23);
  const fields = Object.entries(rest)
    .filter(([k, v]) => v !== undefined && k !== 'raft')
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${t} ${level.toUpperCase().padEnd(5)} ${id ? `[${String(id)}] ` : ''}${msg}${fields ? ' ' + fields : ''}`;
}

export const silentLogger: Logger = makeLogger(() => {}, 'error');
