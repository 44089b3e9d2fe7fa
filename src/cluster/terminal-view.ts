// `raftkv cluster` on a terminal: the status table and, under it, the same
// event log as the dashboard, redrawn in place (on the terminal's alternate
// screen, which is given back at exit). Where stdout is no terminal (a pipe,
// a file, a test), none of this runs: the logs go out line by line as before.

import type { ClusterEvent } from './cluster-events.js';
import { renderStatusTable, type TableRow } from './status-table.js';

export interface TerminalState {
  rows: TableRow[];
  shardSlots: Record<string, string>;
  /** Oldest first. */
  events: readonly ClusterEvent[];
  /** Where the dashboard is. */
  dashboard: string;
  width: number;
  height: number;
}

/**
 * The screen, as lines that fit `width` columns and `height` rows: a title,
 * the table, then as many of the newest events as fit, newest last.
 */
export function renderTerminalView(s: TerminalState): string[] {
  const fit = (line: string): string => (line.length > s.width ? line.slice(0, Math.max(0, s.width - 1)) + '…' : line);
  const top = [`raftkv cluster   dashboard ${s.dashboard}   (Ctrl-C stops every node)`, '', ...renderStatusTable(s.rows, s.shardSlots).split('\n'), '', 'events'];
  const room = Math.max(0, s.height - top.length - 1);
  const events = room === 0 ? [] : s.events.slice(-room).map((e) => `  ${new Date(e.time).toISOString().slice(11, 23)}  ${e.text}`);
  return [...top, ...(events.length > 0 ? events : ['  (none yet)'])].slice(0, Math.max(1, s.height - 1)).map(fit);
}

/** Escape sequences: the alternate screen, cursor home, clear to the end of the line and of the screen. */
export const ENTER_SCREEN = '\x1b[?1049h\x1b[?25l';
export const LEAVE_SCREEN = '\x1b[?25h\x1b[?1049l';

/** One redraw: home, each line cleared past its end, everything below cleared. */
export function redraw(lines: readonly string[]): string {
  return `\x1b[H${lines.map((l) => `${l}\x1b[K`).join('\n')}\n\x1b[J`;
}
