/// <reference lib="dom" />
// The dashboard in the browser: it listens to GET /events (five frames a
// second) and draws the nodes, the links, the chart and the event log; its
// buttons call the control API, the same one `raftkv ctl` uses, through
// `control()` alone. Compiled by tsc with the rest; no framework, uPlot for
// the chart (a global from /dashboard/uplot.js).

import type UPlot from 'uplot';
import type { Frame, FrameNode } from '../dashboard-feed.js';
import type { ClusterEvent } from '../cluster-events.js';

declare const uPlot: typeof UPlot;

/** Every call to the control API goes through here (one place for headers such as a future admin token). */
async function control(path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body ?? {}),
  });
  const answer = (await res.json().catch(() => ({ error: `the control API answered ${res.status}` }))) as Record<string, unknown>;
  if (!res.ok) throw new Error(typeof answer.error === 'string' ? answer.error : `the control API answered ${res.status}`);
  return answer;
}

const $ = <T extends Element = HTMLElement>(sel: string): T => {
  const el = document.querySelector<T>(sel);
  if (!el) throw new Error(`no ${sel} on the page`);
  return el;
};
const SVG = 'http://www.w3.org/2000/svg';

function say(where: HTMLOutputElement, ok: boolean, text: string): void {
  where.dataset.ok = String(ok);
  where.textContent = text;
}

/** Run a control call from a button, saying what happened under the page. */
async function act(what: string, path: string, body?: unknown): Promise<Record<string, unknown> | undefined> {
  const out = $<HTMLOutputElement>('#action-result');
  say(out, true, `${what}…`);
  try {
    const answer = await control(path, body);
    say(out, true, `${what}: done`);
    return answer;
  } catch (e) {
    say(out, false, `${what}: ${(e as Error).message}`);
    return undefined;
  }
}

// ---- nodes table ----

const rows = new Map<string, HTMLTableRowElement>();
const COLUMNS = ['id', 'state', 'role', 'term', 'leader', 'commit', 'applied', 'log', 'snapshot', 'keys'] as const;

function nodeRow(n: FrameNode): HTMLTableRowElement {
  let tr = rows.get(n.id);
  if (tr) return tr;
  tr = document.createElement('tr');
  tr.dataset.node = n.id;
  for (const c of COLUMNS) {
    const td = document.createElement('td');
    td.dataset.col = c;
    tr.append(td);
  }
  const actions = document.createElement('td');
  for (const [action, label] of [
    ['kill', 'kill'],
    ['restart', 'restart'],
    ['pause', 'pause'],
    ['resume', 'resume'],
    ['transfer', 'make leader'],
  ] as const) {
    const b = document.createElement('button');
    b.dataset.action = action;
    b.dataset.target = n.id;
    b.textContent = label;
    b.addEventListener('click', () => void (action === 'transfer' ? act(`transfer leadership to ${n.id}`, '/transfer', { to: n.id }) : act(`${action} ${n.id}`, `/${action}/${encodeURIComponent(n.id)}`)));
    actions.append(b);
  }
  tr.append(actions);
  $('#nodes tbody').append(tr);
  rows.set(n.id, tr);
  for (const sel of ['#kv-node', '#transfer-to']) {
    const o = document.createElement('option');
    o.value = n.id;
    o.textContent = n.id;
    $(sel).append(o);
  }
  const label = document.createElement('label');
  const box = document.createElement('input');
  box.type = 'checkbox';
  box.dataset.node = n.id;
  label.append(box, ` ${n.id} `);
  $('#partition-groups').append(label);
  return tr;
}

const dash = (v: number | null): string => (v === null ? '-' : String(v));

function stateOf(n: FrameNode): string {
  return n.cutOff && n.state === 'alive' ? 'cut off' : n.state;
}

function drawTable(nodes: FrameNode[]): void {
  for (const n of nodes) {
    const tr = nodeRow(n);
    tr.dataset.state = n.state;
    tr.dataset.role = n.state === 'dead' ? 'none' : n.role;
    tr.dataset.cut = String(n.cutOff);
    const cells: Record<(typeof COLUMNS)[number], string> = {
      id: n.shard !== undefined ? `${n.id} (${n.shard})` : n.id,
      state: stateOf(n) + (n.failed !== undefined ? `: ${n.failed}` : ''),
      role: n.role,
      term: dash(n.term),
      leader: n.leader || '-',
      commit: dash(n.commit),
      applied: dash(n.applied),
      log: n.firstIndex === null ? '-' : `${n.firstIndex}..${dash(n.lastIndex)}`,
      snapshot: dash(n.snapshotIndex),
      keys: dash(n.keys),
    };
    for (const c of COLUMNS) {
      const td = tr.querySelector<HTMLTableCellElement>(`td[data-col="${c}"]`)!;
      if (td.textContent !== cells[c]) td.textContent = cells[c];
    }
    const running = n.state !== 'dead';
    for (const b of tr.querySelectorAll<HTMLButtonElement>('button')) {
      const a = b.dataset.action;
      b.disabled = a === 'kill' ? !running : a === 'pause' ? n.state !== 'alive' : a === 'resume' ? n.state !== 'paused' : a === 'transfer' ? !running || n.role === 'leader' : false;
    }
  }
}

// ---- topology ----

interface Sample {
  time: number;
  /** Messages sent, per "from>to". */
  sent: Map<string, number>;
  writes: number;
  writeSeconds: number;
  reads: number;
  readSeconds: number;
}

function sample(f: Frame): Sample {
  const sent = new Map<string, number>();
  const s: Sample = { time: f.time, sent, writes: 0, writeSeconds: 0, reads: 0, readSeconds: 0 };
  for (const n of f.nodes) {
    for (const [peer, l] of Object.entries(n.links)) sent.set(`${n.id}>${peer}`, l.sentMsgs);
    if (n.traffic) {
      s.writes += n.traffic.writes;
      s.writeSeconds += n.traffic.writeSeconds;
      s.reads += n.traffic.reads;
      s.readSeconds += n.traffic.readSeconds;
    }
  }
  return s;
}

/** What a link between a and b is now: cut (either way), delayed, lossy, down (a node not running) or ok. */
function linkState(f: Frame, a: FrameNode, b: FrameNode): string {
  if (a.state !== 'alive' || b.state !== 'alive') return 'down';
  const ra = f.rules[a.id] ?? [];
  const rb = f.rules[b.id] ?? [];
  const cut = ra.some((r) => (r.op === 'cut' || r.op === 'cutFrom') && r.peer === b.id) || rb.some((r) => (r.op === 'cut' || r.op === 'cutFrom') && r.peer === a.id);
  if (cut) return 'cut';
  const all = [...ra, ...rb];
  if (all.some((r) => r.op === 'delay' && r.ms > 0)) return 'delayed';
  if (all.some((r) => r.op === 'loss' && r.pct > 0)) return 'lossy';
  return 'ok';
}

function drawTopology(f: Frame, prev: Sample | undefined, now: Sample): void {
  const svg = $<SVGSVGElement>('#topology');
  const nodes = f.nodes;
  const cx = 220;
  const cy = 165;
  const r = nodes.length <= 1 ? 0 : 125;
  const pos = new Map(nodes.map((n, i) => [n.id, { x: cx + r * Math.sin((2 * Math.PI * i) / nodes.length), y: cy - r * Math.cos((2 * Math.PI * i) / nodes.length) }]));
  const dt = prev ? (now.time - prev.time) / 1000 : 0;
  const parts: SVGElement[] = [];
  for (let i = 0; i < nodes.length; i++) {
    for (let j = i + 1; j < nodes.length; j++) {
      const a = nodes[i]!;
      const b = nodes[j]!;
      if (a.shard !== b.shard) continue;
      const pa = pos.get(a.id)!;
      const pb = pos.get(b.id)!;
      const line = document.createElementNS(SVG, 'line');
      const state = linkState(f, a, b);
      line.setAttribute('class', `link ${state}`);
      line.dataset.link = `${a.id}-${b.id}`;
      line.dataset.state = state;
      line.setAttribute('x1', String(pa.x));
      line.setAttribute('y1', String(pa.y));
      line.setAttribute('x2', String(pb.x));
      line.setAttribute('y2', String(pb.y));
      parts.push(line);
      if (prev && dt > 0) {
        const d = (k: string): number => Math.max(0, (now.sent.get(k) ?? 0) - (prev.sent.get(k) ?? 0));
        const rate = (d(`${a.id}>${b.id}`) + d(`${b.id}>${a.id}`)) / dt;
        const t = document.createElementNS(SVG, 'text');
        t.setAttribute('class', 'rate');
        t.setAttribute('x', String((pa.x + pb.x) / 2));
        t.setAttribute('y', String((pa.y + pb.y) / 2 - 4));
        t.textContent = state === 'cut' || state === 'down' ? state : `${Math.round(rate)}/s`;
        parts.push(t);
      }
    }
  }
  for (const n of nodes) {
    const p = pos.get(n.id)!;
    const g = document.createElementNS(SVG, 'g');
    g.setAttribute('class', 'node');
    g.dataset.node = n.id;
    g.dataset.role = n.role;
    g.dataset.state = n.state;
    g.dataset.cut = String(n.cutOff);
    const c = document.createElementNS(SVG, 'circle');
    c.setAttribute('cx', String(p.x));
    c.setAttribute('cy', String(p.y));
    c.setAttribute('r', '34');
    const t1 = document.createElementNS(SVG, 'text');
    t1.setAttribute('x', String(p.x));
    t1.setAttribute('y', String(p.y - 4));
    t1.textContent = n.id;
    const t2 = document.createElementNS(SVG, 'text');
    t2.setAttribute('x', String(p.x));
    t2.setAttribute('y', String(p.y + 12));
    t2.textContent = n.state === 'alive' ? `${n.role} t${dash(n.term)}` : stateOf(n);
    g.append(c, t1, t2);
    parts.push(g);
  }
  svg.replaceChildren(...parts);
}

// ---- chart ----

const WINDOW = 300;
const chartData: [number[], (number | null)[], (number | null)[], (number | null)[], (number | null)[]] = [[], [], [], [], []];
let chart: UPlot | undefined;

function makeChart(): UPlot {
  const el = $('#chart');
  return new uPlot(
    {
      width: Math.max(400, el.clientWidth - 10),
      height: 220,
      scales: { x: { time: true }, ops: { auto: true }, ms: { auto: true } },
      series: [
        {},
        { label: 'writes/s', scale: 'ops', stroke: '#e65100', width: 2 },
        { label: 'reads/s', scale: 'ops', stroke: '#1565c0', width: 2 },
        { label: 'write ms', scale: 'ms', stroke: '#ffab91', width: 1, dash: [6, 4] },
        { label: 'read ms', scale: 'ms', stroke: '#90caf9', width: 1, dash: [6, 4] },
      ],
      axes: [{}, { scale: 'ops', label: 'requests/s' }, { scale: 'ms', side: 1, label: 'mean latency ms', grid: { show: false } }],
    },
    chartData,
    el,
  );
}

function drawChart(prev: Sample | undefined, now: Sample): void {
  if (!prev) return;
  const dt = (now.time - prev.time) / 1000;
  if (dt <= 0) return;
  const dw = Math.max(0, now.writes - prev.writes);
  const dr = Math.max(0, now.reads - prev.reads);
  chartData[0].push(now.time / 1000);
  chartData[1].push(dw / dt);
  chartData[2].push(dr / dt);
  chartData[3].push(dw > 0 ? ((now.writeSeconds - prev.writeSeconds) / dw) * 1000 : null);
  chartData[4].push(dr > 0 ? ((now.readSeconds - prev.readSeconds) / dr) * 1000 : null);
  if (chartData[0].length > WINDOW) for (const s of chartData) s.shift();
  chart ??= makeChart();
  chart.setData(chartData);
}

// ---- events ----

function addEvents(events: ClusterEvent[]): void {
  const list = $('#events');
  for (const e of events) {
    const li = document.createElement('li');
    li.dataset.kind = e.kind;
    const time = document.createElement('time');
    time.textContent = new Date(e.time).toLocaleTimeString(undefined, { hour12: false }) + `.${String(e.time % 1000).padStart(3, '0')}`;
    li.append(time, e.text);
    list.prepend(li);
  }
  while (list.children.length > 300) list.lastElementChild!.remove();
}

// ---- wiring ----

let last: Sample | undefined;

function onFrame(f: Frame): void {
  const now = sample(f);
  drawTable(f.nodes);
  drawTopology(f, last, now);
  drawChart(last, now);
  addEvents(f.events);
  last = now;
  const leaders = f.nodes.filter((n) => n.role === 'leader' && n.state === 'alive');
  const summary = leaders.length === 0 ? 'no leader' : leaders.map((n) => `leader ${n.id}${n.shard !== undefined ? ` (${n.shard})` : ''}, term ${dash(n.term)}`).join('; ');
  const el = $('#summary');
  el.dataset.leader = leaders.map((n) => n.id).join(',');
  el.textContent = summary;
}

function connect(): void {
  const conn = $('#conn');
  const source = new EventSource('/events');
  source.onopen = () => {
    conn.dataset.state = 'open';
    conn.textContent = 'live';
  };
  source.onerror = () => {
    conn.dataset.state = 'closed';
    conn.textContent = 'reconnecting…';
  };
  source.onmessage = (m: MessageEvent<string>) => onFrame(JSON.parse(m.data) as Frame);
}

function wireControls(): void {
  $('#heal').addEventListener('click', () => void act('heal', '/heal'));
  $('#partition').addEventListener('click', () => {
    const boxes = [...document.querySelectorAll<HTMLInputElement>('#partition-groups input')];
    const a = boxes.filter((b) => b.checked).map((b) => b.dataset.node!);
    const b = boxes.filter((x) => !x.checked).map((x) => x.dataset.node!);
    void act(`partition ${a.join(',')} | ${b.join(',')}`, '/partition', { groups: [a, b] });
  });
  $('#delay').addEventListener('click', () => void act('delay', '/delay', { ms: Number($<HTMLInputElement>('#delay-ms').value) }));
  $('#loss').addEventListener('click', () => void act('loss', '/loss', { pct: Number($<HTMLInputElement>('#loss-pct').value) }));
  $('#transfer').addEventListener('click', () => {
    const to = $<HTMLSelectElement>('#transfer-to').value;
    void act('transfer leadership', '/transfer', to ? { to } : {});
  });
  const kv = () => ({ key: $<HTMLInputElement>('#kv-key').value, node: $<HTMLSelectElement>('#kv-node').value || undefined });
  const result = $<HTMLOutputElement>('#kv-result');
  $('#kv-write').addEventListener('click', async () => {
    const { key, node } = kv();
    const value = $<HTMLInputElement>('#kv-value').value;
    try {
      const a = await control('/write', { key, value, node });
      say(result, true, `wrote ${JSON.stringify(key)} = ${JSON.stringify(value)} through ${String(a.node)}`);
    } catch (e) {
      say(result, false, `write failed: ${(e as Error).message}`);
    }
  });
  $('#kv-read').addEventListener('click', async () => {
    const { key, node } = kv();
    const level = $<HTMLSelectElement>('#kv-level').value;
    try {
      const a = await control('/read', { key, level, node });
      say(result, true, `${JSON.stringify(key)} = ${JSON.stringify(a.value)} (read from ${String(a.node)}, ${level})`);
    } catch (e) {
      say(result, false, `read failed: ${(e as Error).message}`);
    }
  });
}

wireControls();
connect();
