// The wrk cross-check: the Lua script asks for the same keys as our
// workload, and wrk's report is read back.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keyName } from '../../bench/load/requests.js';
import { parseWrkOutput, wrkScript } from '../../bench/wrk-check.js';

test('the wrk script requests random keys of the workload key space', () => {
  const space = { keys: 10_000, valueBytes: 16, prefix: 'k' };
  const lua = wrkScript(space.keys, (i) => `/key/${keyName(space, i)}?level=stale`);
  assert.match(lua, /string\.format\("\/key\/k%05d\?level=stale", math\.random\(0, 9999\)\)/);
});

test("wrk's output is read: rate, median and p99 in ms, errors", () => {
  const out = `Running 5s test @ http://127.0.0.1:21001
  1 threads and 64 connections
  Latency Distribution
     50%  812.00us
     75%    2.55ms
     90%    3.43ms
     99%   12.86ms
  144515 requests in 5.02s, 21.22MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:  28787.16
Transfer/sec:      4.23MB
`;
  assert.deepEqual(parseWrkOutput(out), { opsPerSec: 28787.16, p50Ms: 0.812, p99Ms: 12.86, errors: 7 });
  assert.equal(parseWrkOutput('wrk: connection refused'), undefined);
});
