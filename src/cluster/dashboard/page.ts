// The dashboard's page and styles (its script is app.ts, compiled with the
// rest). Static: every value on it comes from the event stream.

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>raftkv dashboard</title>
<link rel="stylesheet" href="/dashboard/uplot.css">
<link rel="stylesheet" href="/dashboard/app.css">
<script src="/dashboard/uplot.js"></script>
<script type="module" src="/dashboard/app.js"></script>
</head>
<body>
<header>
  <h1>raftkv</h1>
  <span id="conn" data-state="connecting">connecting&hellip;</span>
  <span id="summary"></span>
</header>
<main>
  <section id="topology-panel">
    <h2>Cluster</h2>
    <svg id="topology" viewBox="0 0 440 330" role="img" aria-label="nodes and the links between them"></svg>
    <p class="legend">
      <span class="swatch leader"></span>leader <span class="swatch follower"></span>follower
      <span class="swatch candidate"></span>candidate <span class="swatch down"></span>dead / paused
      &nbsp; links: <span class="line ok"></span>ok <span class="line cut"></span>cut
      <span class="line delayed"></span>delayed <span class="line lossy"></span>lossy; numbers are messages/s
    </p>
  </section>
  <section id="nodes-panel">
    <h2>Nodes</h2>
    <table id="nodes">
      <thead><tr><th>node</th><th>state</th><th>role</th><th>term</th><th>leader</th><th>commit</th><th>applied</th><th>log</th><th>snapshot</th><th>keys</th><th></th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
  <section id="faults-panel">
    <h2>Faults</h2>
    <div class="row">Partition: <span id="partition-groups"></span> <button id="partition" title="cut every link between the ticked nodes and the others">partition</button> <button id="heal" title="remove every cut, delay and loss">heal</button></div>
    <div class="row">Delay <input id="delay-ms" type="number" min="0" value="100"> ms <button id="delay">delay</button>
      &nbsp; Loss <input id="loss-pct" type="number" min="0" max="100" value="20"> % <button id="loss">loss</button>
      <span class="hint">(every node's outgoing messages; heal clears)</span></div>
    <div class="row">Transfer leadership to <select id="transfer-to"><option value="">any</option></select> <button id="transfer">transfer</button></div>
  </section>
  <section id="chart-panel">
    <h2>Throughput and latency</h2>
    <div id="chart"></div>
  </section>
  <section id="kv-panel">
    <h2>Write and read a key</h2>
    <div class="row">key <input id="kv-key" value="hello" size="12"> value <input id="kv-value" value="world" size="12">
      node <select id="kv-node"><option value="">the leader</option></select>
      level <select id="kv-level"><option>linearizable</option><option>leader</option><option>stale</option></select>
      <button id="kv-write">write</button> <button id="kv-read">read</button></div>
    <output id="kv-result"></output>
  </section>
  <section id="events-panel">
    <h2>Events</h2>
    <ol id="events"></ol>
  </section>
</main>
<footer><output id="action-result"></output></footer>
</body>
</html>
`;

export const DASHBOARD_CSS = `
:root { font: 14px/1.4 system-ui, sans-serif; color: #1d2330; background: #f4f5f8; }
body { margin: 0; }
header { display: flex; gap: 1.2em; align-items: baseline; padding: .6em 1.2em; background: #1d2330; color: #fff; }
header h1 { margin: 0; font-size: 1.3em; }
#conn[data-state="open"] { color: #7ddc8b; } #conn[data-state="closed"] { color: #ff8a80; }
main { display: grid; grid-template-columns: minmax(420px, 1fr) minmax(520px, 1.4fr); gap: .8em; padding: .8em; }
section { background: #fff; border-radius: 6px; padding: .4em .9em .8em; box-shadow: 0 1px 2px #0002; }
section h2 { font-size: 1em; margin: .3em 0 .5em; color: #445; }
#events-panel { grid-column: 2; grid-row: 2 / span 3; }
#topology { width: 100%; max-height: 340px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .2em .4em; border-bottom: 1px solid #e4e6ec; font-variant-numeric: tabular-nums; }
tr[data-role="leader"] td:first-child { font-weight: bold; }
tr[data-state="dead"], tr[data-state="paused"] { color: #999; }
tr[data-state="failed"] { color: #c62828; }
button { font: inherit; padding: .1em .6em; margin: 0 .1em; cursor: pointer; }
.row { margin: .35em 0; }
.hint { color: #778; font-size: .9em; }
input[type="number"] { width: 5em; }
#kv-result { display: block; margin-top: .4em; font-family: ui-monospace, monospace; }
#kv-result[data-ok="false"], #action-result[data-ok="false"] { color: #c62828; }
footer { padding: 0 1.2em 1em; }
#events { list-style: none; margin: 0; padding: 0; max-height: 640px; overflow-y: auto; font-size: .92em; }
#events li { padding: .15em 0; border-bottom: 1px solid #eef0f4; }
#events time { color: #889; margin-right: .5em; font-variant-numeric: tabular-nums; }
#events li[data-kind="election"] { color: #b26a00; } #events li[data-kind="leader"] { color: #1b5e20; font-weight: 600; }
#events li[data-kind="fault"] { color: #6a1b9a; } #events li[data-kind="error"] { color: #c62828; }
#events li[data-kind="snapshot"] { color: #0d47a1; } #events li[data-kind="membership"] { color: #00695c; }
.legend { font-size: .85em; color: #556; }
.swatch { display: inline-block; width: .8em; height: .8em; border-radius: 50%; margin: 0 .2em 0 .6em; vertical-align: middle; }
.line { display: inline-block; width: 1.4em; height: 0; border-top: 3px solid; margin: 0 .2em 0 .6em; vertical-align: middle; }
.leader { background: #f9a825; } .follower { background: #42a5f5; } .candidate { background: #ff7043; } .down { background: #bdbdbd; }
.line.ok { border-color: #66bb6a; } .line.cut { border-color: #e53935; border-top-style: dashed; }
.line.delayed { border-color: #fb8c00; } .line.lossy { border-color: #8e24aa; border-top-style: dotted; }
svg .link { stroke-width: 3; } svg .link.ok { stroke: #66bb6a; } svg .link.cut { stroke: #e53935; stroke-dasharray: 8 6; }
svg .link.delayed { stroke: #fb8c00; } svg .link.lossy { stroke: #8e24aa; stroke-dasharray: 2 4; } svg .link.down { stroke: #ccc; }
svg .rate { font-size: 11px; fill: #556; text-anchor: middle; }
svg .node circle { stroke: #1d2330; stroke-width: 1.5; }
svg .node text { text-anchor: middle; font-size: 12px; }
svg .node[data-role="leader"] circle { fill: #f9a825; stroke-width: 3; }
svg .node[data-role="follower"] circle { fill: #42a5f5; }
svg .node[data-role="candidate"] circle, svg .node[data-role="pre-candidate"] circle { fill: #ff7043; }
svg .node[data-state="dead"] circle, svg .node[data-state="paused"] circle { fill: #bdbdbd; }
svg .node[data-state="failed"] circle { fill: #e57373; }
svg .node[data-cut="true"] circle { stroke: #e53935; stroke-width: 3; stroke-dasharray: 4 3; }
`;
