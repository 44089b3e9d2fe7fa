// GET throughput on the Redis port at each read level, which redis-benchmark
// cannot choose (it sends no READLEVEL). C connections each send
// `READLEVEL level`, then GETs of one 3-byte value in pipelines of P, for a
// fixed time. Usage: node dist/bench/resp-read-levels.js PORT [conns] [pipeline] [seconds] [levels,...]

import net from 'node:net';

const [port = '6389', conns = '50', pipeline = '1', seconds = '5', levels = 'linearizable,leader,stale'] = process.argv.slice(2);
const C = Number(conns);
const P = Number(pipeline);
const MS = Number(seconds) * 1000;
const KEY = 'bench:read-levels';
const REPLY = Buffer.from('$3\r\nxxx\r\n');

function command(...args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

async function once(level: string): Promise<number> {
  let done = 0;
  const end = Date.now() + MS;
  const getBatch = command('GET', KEY).repeat(P);
  await Promise.all(
    Array.from({ length: C }, () =>
      new Promise<void>((resolve, reject) => {
        const s = net.connect(Number(port), '127.0.0.1');
        s.setNoDelay(true);
        let started = false;
        let pending = 0;
        let buffered = 0;
        s.on('connect', () => s.write(command('READLEVEL', level)));
        s.on('data', (chunk: Buffer) => {
          if (!started) {
            if (!chunk.toString('latin1').startsWith('+OK\r\n')) return reject(new Error(`READLEVEL ${level}: ${chunk.toString()}`));
            started = true;
            chunk = chunk.subarray(5);
            pending = P;
            s.write(getBatch);
            if (chunk.length === 0) return;
          }
          if (buffered === 0 && !chunk.subarray(0, 4).equals(REPLY.subarray(0, 4))) return reject(new Error(`GET at ${level}: ${chunk.toString().slice(0, 200)}`));
          buffered += chunk.length;
          const replies = Math.floor(buffered / REPLY.length);
          buffered -= replies * REPLY.length;
          pending -= replies;
          done += replies;
          if (pending > 0) return;
          if (Date.now() >= end) {
            s.end();
            resolve();
            return;
          }
          pending = P;
          s.write(getBatch);
        });
        s.on('error', reject);
      }),
    ),
  );
  return done / (MS / 1000);
}

const setup = net.connect(Number(port), '127.0.0.1');
await new Promise<void>((resolve) => {
  setup.on('connect', () => setup.write(command('SET', KEY, 'xxx')));
  setup.once('data', () => {
    setup.end();
    resolve();
  });
});
for (const level of levels.split(',')) {
  try {
    console.log(`GET at ${level}: ${Math.round(await once(level))} requests per second (${C} connections, pipeline ${P})`);
  } catch (e) {
    console.log(`GET at ${level}: refused (${(e as Error).message.trim()})`);
  }
}
