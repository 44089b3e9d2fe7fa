// GET /metrics (a node's, the launcher's, the router's) parses with
// Prometheus's own parser and its values move as the cluster does; GET
// /health and /readyz fail on a node cut off from the rest and pass again
// after the heal; RESP INFO shows the same health. One cluster for all.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCtl } from '../../src/cluster/ctl.js';
import { Router } from '../../src/shard/router.js';
import { checkMetrics, samples, value } from '../helpers/prometheus.js';
import { RespTestClient } from '../helpers/resp-client.js';
import { sharedClusterWithControl, http } from '../helpers/test-cluster.js';

const shared = sharedClusterWithControl();

const metricsOf = async (id: string): Promise<string> => {
  const r = await fetch(shared.cluster.url(id, '/metrics'));
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return r.text();
};
const ctl = (path: string, body?: unknown) => http('POST', `http://127.0.0.1:${shared.control.port}${path}`, body ?? {});

test('a node\'s /metrics passes promtool, and writes move the proposals, the persist histogram and the request counts', async (t) => {
  const leader = await shared.cluster.waitForLeader();
  const before = await metricsOf(leader);
  if (checkMetrics(t, before) === 'skipped') return;
  assert.equal(checkMetrics(t, before), undefined);
  const follower = shared.cluster.followers(leader)[0]!;
  for (let i = 0; i < 10; i++) assert.equal((await http('POST', shared.cluster.url(leader, '/key'), { [`m${i}`]: 'v' })).status, 200);
  // One through a follower: forwarded there, proposed on the leader.
  assert.equal((await http('POST', shared.cluster.url(follower, '/key'), { fwd: 'v' })).status, 200);
  assert.equal((await http('GET', shared.cluster.url(leader, '/key/m1'))).status, 200);
  const after = await metricsOf(leader);
  assert.equal(checkMetrics(t, after), undefined);
  const grew = (series: string, by: number): void => assert.ok(value(after, series) - value(before, series) >= by, `${series}: ${value(before, series)} -> ${value(after, series)}`);
  grew('raftkv_proposals_received_total', 11);
  grew('raftkv_proposals_committed_total', 11);
  grew('raftkv_persist_duration_seconds_count', 1);
  grew('raftkv_apply_duration_seconds_count', 1);
  grew('raftkv_messages_sent_total{type="App"}', 1);
  grew('raftkv_requests_total{front="http",route="POST /key",outcome="ok"}', 10);
  grew('raftkv_request_duration_seconds_count{front="http",route="POST /key",outcome="ok"}', 10);
  grew('raftkv_read_requests_total{level="linearizable"}', 1);
  assert.equal(value(after, 'raftkv_role{role="leader"}'), 1);
  assert.equal(value(after, `raftkv_leader{leader="${leader}"}`), 1);
  assert.ok(value(after, 'raftkv_keys') >= 11);
  assert.ok(value(after, `raftkv_peer_up{peer="${follower}"}`) === 1);
  assert.ok(value(after, `raftkv_peer_sent_bytes_total{peer="${follower}"}`) > 0);
  // A histogram's buckets add up to its count.
  const count = value(after, 'raftkv_persist_duration_seconds_count');
  assert.equal(value(after, 'raftkv_persist_duration_seconds_bucket{le="+Inf"}'), count);
  const fmetrics = await metricsOf(follower);
  assert.ok(value(fmetrics, 'raftkv_proposals_forwarded_total') >= 1, 'the follower counts the write it forwarded');
  assert.ok(value(fmetrics, 'raftkv_messages_received_total{type="App"}') > 0);
});

test('the RESP front meters blocking pops and transaction commands like any other command', async () => {
  const leader = await shared.cluster.waitForLeader();
  const before = await metricsOf(leader);
  const cl = await RespTestClient.connect(shared.cluster.respPort(leader));
  try {
    // One BLPOP that waits and times out, one served at once; a transaction; a WRONGTYPE (a client error).
    assert.deepEqual(await cl.call(['BLPOP', 'mq:none', '0.05'], ['RPUSH', 'mq:l', 'a'], ['BLPOP', 'mq:l', '0'], ['MULTI'], ['HSET', 'mq:h', 'f', 'v'], ['EXEC'], ['LPUSH', 'mq:h', 'x']), [
      null,
      1,
      ['mq:l', 'a'],
      'OK',
      'QUEUED',
      [1],
      { error: 'WRONGTYPE Operation against a key holding the wrong kind of value' },
    ]);
  } finally {
    cl.close();
  }
  const after = await metricsOf(leader);
  const grew = (series: string, by: number): void => assert.equal(value(after, series) - value(before, series), by, series);
  grew('raftkv_requests_total{front="resp",route="blpop",outcome="ok"}', 2);
  grew('raftkv_requests_total{front="resp",route="multi",outcome="ok"}', 1);
  grew('raftkv_requests_total{front="resp",route="hset",outcome="ok"}', 1);
  grew('raftkv_requests_total{front="resp",route="exec",outcome="ok"}', 1);
  grew('raftkv_requests_total{front="resp",route="lpush",outcome="client_error"}', 1);
  assert.ok(value(after, 'raftkv_request_duration_seconds_sum{front="resp",route="blpop",outcome="ok"}') - value(before, 'raftkv_request_duration_seconds_sum{front="resp",route="blpop",outcome="ok"}') >= 0.04, 'the blocked pop is timed to its answer');
});

test('a client blocked in BLPOP whose socket closes stops waiting: its pop is answered (to nobody, metered) and takes nothing pushed after', async () => {
  const leader = await shared.cluster.waitForLeader();
  const blpops = async (): Promise<number> => value(await metricsOf(leader), 'raftkv_requests_total{front="resp",route="blpop",outcome="ok"}');
  const before = await blpops();
  const blocked = await RespTestClient.connect(shared.cluster.respPort(leader));
  const w = await RespTestClient.connect(shared.cluster.respPort(leader));
  try {
    const committed = async (): Promise<number> => value(await metricsOf(leader), 'raftkv_proposals_committed_total');
    const proposals = await committed();
    void blocked.one('BLPOP', 'mq:closed', '0').catch(() => undefined);
    // Blocked once its first pop was applied and found nothing.
    await shared.cluster.waitFor(async () => (await committed()) > proposals, 10_000, 'the first pop to be applied');
    assert.equal(await w.one('LLEN', 'mq:closed'), 0);
    blocked.close();
    await shared.cluster.waitFor(async () => (await blpops()) === before + 1, 10_000, 'the closed client\'s BLPOP to end');
    assert.equal(await w.one('RPUSH', 'mq:closed', 'kept'), 1);
    assert.deepEqual(await w.call(['LRANGE', 'mq:closed', '0', '-1'], ['DEL', 'mq:closed']), [['kept'], 1]);
  } finally {
    w.close();
  }
});

test('after the leader is killed, the survivors\' metrics show a higher term, the new leader and a leader change; the launcher counts the kill', async (t) => {
  const old = await shared.cluster.waitForLeader();
  const survivor = shared.cluster.followers(old)[0]!;
  const before = await metricsOf(survivor);
  assert.equal(value(before, `raftkv_leader{leader="${old}"}`), 1);
  assert.equal((await ctl(`/kill/${old}`)).status, 200);
  const next = await shared.cluster.waitForLeader(20_000, [old]);
  let after = '';
  await shared.cluster.waitFor(async () => value((after = await metricsOf(survivor)), `raftkv_leader{leader="${next}"}`) === 1, 10_000, 'the new leader in the metrics');
  if (checkMetrics(t, after) === 'skipped') return;
  assert.equal(checkMetrics(t, after), undefined);
  assert.ok(value(after, 'raftkv_term') > value(before, 'raftkv_term'), 'the term moved on');
  assert.equal(value(after, `raftkv_leader{leader="${old}"}`), 0, 'the old leader is gone from the label');
  assert.ok(value(after, 'raftkv_leader_changes_total') > value(before, 'raftkv_leader_changes_total'));
  const winner = await metricsOf(next);
  assert.ok(value(winner, 'raftkv_elections_won_total') >= 1);
  assert.ok(value(winner, 'raftkv_elections_started_total{kind="election"}') >= 1);

  const launcher = await (await fetch(`http://127.0.0.1:${shared.control.port}/metrics`)).text();
  assert.equal(checkMetrics(t, launcher), undefined);
  assert.equal(value(launcher, 'raftkv_launcher_faults_injected_total{kind="kill"}'), 1);
  assert.equal(value(launcher, `raftkv_launcher_node_state{node="${old}",state="dead"}`), 1);
  assert.ok(value(launcher, `raftkv_launcher_node_exits_total{node="${old}"}`) >= 1);
  assert.equal((await ctl(`/restart/${old}`)).status, 200);
  await shared.cluster.waitForLeader(20_000);
});

test('/health and /readyz answer 503 with the reason on a node cut off from the rest, and 200 after the heal; INFO says the same', async () => {
  const leader = await shared.cluster.waitForLeader(20_000);
  const lonely = shared.cluster.followers(leader)[0]!;
  await shared.cluster.waitFor(async () => (await http('GET', shared.cluster.url(lonely, '/health'))).status === 200, 10_000, `${lonely} healthy`);
  assert.equal((await http('GET', shared.cluster.url(lonely, '/readyz'))).status, 200);
  const resp = await RespTestClient.connect(shared.cluster.respPort(lonely));
  try {
    assert.match(String(await resp.one('INFO', 'health')), /raftkv_health:ok\r\n/);
    const others = shared.cluster.launcher.ids.filter((id) => id !== lonely);
    assert.equal((await ctl('/partition', { groups: [[lonely], others] })).status, 200);
    let h = await http('GET', shared.cluster.url(lonely, '/health'));
    await shared.cluster.waitFor(async () => (h = await http('GET', shared.cluster.url(lonely, '/health'))).status === 503, 15_000, `${lonely} unhealthy`);
    assert.equal(h.json.health, false);
    assert.match(h.json.reason, /no leader known/);
    const r = await http('GET', shared.cluster.url(lonely, '/readyz'));
    assert.equal(r.status, 503);
    assert.equal(r.json.ready, false);
    assert.match(String(await resp.one('INFO', 'health')), /raftkv_health:fail\r\nraftkv_health_reason:no leader known/);
    // The majority side stays healthy.
    assert.equal((await http('GET', shared.cluster.url(others[0]!, '/health'))).status, 200);

    assert.equal((await ctl('/heal')).status, 200);
    await shared.cluster.waitFor(async () => (await http('GET', shared.cluster.url(lonely, '/health'))).status === 200, 15_000, `${lonely} healthy again`);
    await shared.cluster.waitFor(async () => (await http('GET', shared.cluster.url(lonely, '/readyz'))).status === 200, 15_000, `${lonely} ready again`);
    assert.match(String(await resp.one('INFO', 'health')), /raftkv_health:ok\r\n/);
  } finally {
    resp.close();
  }
});

test('ctl transfer, write and read go through the control API: leadership moves, a key is written and read back at each level', async () => {
  const addr = `127.0.0.1:${shared.control.port}`;
  const leader = await shared.cluster.waitForLeader(20_000);
  const to = shared.cluster.followers(leader)[1]!;
  assert.match(await runCtl(addr, 'transfer', [to]), /"ok":true/);
  assert.equal(await shared.cluster.waitForLeader(20_000), to);
  assert.match(await runCtl(addr, 'write', ['ctl-key', 'ctl-value']), /"ok":true/);
  for (const level of ['linearizable', 'leader', 'stale'] as const) {
    // A stale read on a follower may trail the write for a moment.
    await shared.cluster.waitFor(async () => JSON.parse(await runCtl(addr, 'read', ['ctl-key', level, leader])).value === 'ctl-value', 10_000, `a ${level} read`);
  }
  await assert.rejects(runCtl(addr, 'read', ['no-such-key']), /not found/);
  await assert.rejects(runCtl(addr, 'read', ['ctl-key', 'sloppy']), /level/);
  await assert.rejects(runCtl(addr, 'write', ['k', 'v', 'nobody']), /unknown node "nobody"/);
  await assert.rejects(runCtl(addr, 'transfer', ['nobody']), /unknown node "nobody"/);
});

test('the router\'s /metrics passes promtool: per-shard leader, leader changes, forwarded requests and retries', async (t) => {
  // No shard answers here (nothing listens at these addresses): the shape is what is checked.
  const router = new Router({ shards: [{ id: 's0', slots: [[0, 16383]], members: [{ id: 'a', http: '127.0.0.1:9', raft: '127.0.0.1:9' }] }], timeoutMs: 200, clusterToken: 'x'.repeat(64) });
  try {
    await router.mgetTyped(['k'], 'linearizable').catch(() => undefined);
    const { text, contentType } = await router.metricsText();
    assert.match(contentType, /^text\/plain/);
    if (checkMetrics(t, text) === 'skipped') return;
    assert.equal(checkMetrics(t, text), undefined);
    const s = samples(text);
    assert.ok((s.get('raftkv_router_forwarded_total{shard="s0",op="read"}') ?? 0) >= 1);
    assert.ok(s.has('raftkv_router_retries_total{shard="s0",op="write"}'));
    assert.ok(s.has('raftkv_router_shard_leader_changes_total{shard="s0"}'));
  } finally {
    router.close();
  }
});
