// The cost of a cross-node broadcast, side by side in one run: one beastio
// node alone, two beastio nodes on Redis (pub/sub adapter, streams adapter,
// streams with connection state recovery), and two socket.io 4.8 Node nodes
// with each Redis adapter. One sender on node A emits "shout" (a broadcast to
// every socket) with its send time; receivers on both nodes record the
// latency, apart for the node of the sender (local) and the other (remote).
// The CPU the server processes (and redis-server) used during the sending
// window, divided by the deliveries, is the cost per delivery.
//
//   node bench/cluster.mjs [--receivers N] [--messages N] [--rate N] [--quick] [--out FILE]
//
// Receivers are N per node (the single node gets 2N); the sender sends
// --messages broadcasts at --rate per second. Markdown on stdout, raw numbers
// as JSON in --out (default build/bench/cluster.json). docs/scaling.md has a run.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCommandLine } from '../clients/lib/cli.mjs';
import { startServer, freePort, beastioBinary } from '../tests/lib/fixture.mjs';
import { startRedis } from '../tests/lib/redis.mjs';
import { createRequire } from 'node:module';

const here = path.dirname(fileURLToPath(import.meta.url));
// The npm packages live in clients/ (one lockfile for the tree).
const require = createRequire(new URL('../clients/package.json', import.meta.url));
const { io } = require('socket.io-client');
const NODE_SERVER = path.resolve(here, '..', 'tests', 'cluster', 'node-server.mjs');

let options;
try {
  ({ options } = parseCommandLine(process.argv.slice(2), {
    receivers: { type: 'number', min: 1 },
    messages: { type: 'number', min: 1 },
    rate: { type: 'number', min: 1 },
    quick: { type: 'boolean' },
    out: { type: 'string' },
  }));
} catch (err) {
  process.stderr.write(`cluster bench: ${err.message}\n`);
  process.exit(2);
}
const RECEIVERS = options.receivers ?? (options.quick ? 5 : 100);
const MESSAGES = options.messages ?? (options.quick ? 50 : 2000);
const RATE = options.rate ?? 200;
const OUT = options.out ?? path.resolve(here, '..', 'build', 'bench', 'cluster.json');
const progress = (m) => process.stderr.write(`[cluster bench] ${m}\n`);
const now = () => Number(process.hrtime.bigint()) / 1e6;

function cpuSeconds(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

// beastio's echo service has "shout" on /api, the Node node on "/".
async function beastio(redis, flags) {
  return startServer({
    binary: beastioBinary(),
    flags: { '--app': 'echo', ...(redis ? { '--redis': redis.url } : {}), ...flags },
  });
}

async function nodeServer(redis, adapter) {
  const port = await freePort();
  const srv = await startServer({
    command: [process.execPath, NODE_SERVER, '--port', String(port), '--redis', redis.url, '--adapter', adapter],
    port, ready: /node socket\.io listening/,
  });
  srv.nsp = '/';
  return srv;
}

const setups = [
  { name: 'beastio, one node (no Redis)', start: async () => [await beastio(null, {})] },
  { name: 'beastio, 2 nodes, pubsub', start: async (r) => [await beastio(r, { '--redis-adapter': 'pubsub' }), await beastio(r, { '--redis-adapter': 'pubsub' })] },
  { name: 'beastio, 2 nodes, streams', start: async (r) => [await beastio(r, { '--redis-adapter': 'streams' }), await beastio(r, { '--redis-adapter': 'streams' })] },
  {
    name: 'beastio, 2 nodes, streams + recovery',
    start: async (r) => {
      const f = { '--redis-adapter': 'streams', '--recovery-window-ms': 120000 };
      return [await beastio(r, f), await beastio(r, f)];
    },
  },
  { name: 'socket.io 4.8, 2 nodes, redis-adapter', start: async (r) => [await nodeServer(r, 'pubsub'), await nodeServer(r, 'pubsub')] },
  { name: 'socket.io 4.8, 2 nodes, redis-streams-adapter', start: async (r) => [await nodeServer(r, 'streams'), await nodeServer(r, 'streams')] },
];

function connect(url) {
  const s = io(url, { transports: ['websocket'], reconnection: false, forceNew: true });
  return new Promise((resolve, reject) => {
    s.once('connect', () => resolve(s));
    s.once('connect_error', reject);
  });
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function measure(setup) {
  const redis = await startRedis();
  const servers = await setup.start(redis);
  try {
    const perNode = servers.length === 1 ? 2 * RECEIVERS : RECEIVERS;
    const receivers = [];
    for (let n = 0; n < servers.length; n++) {
      for (let i = 0; i < perNode; i++) {
        const s = await connect(servers[n].httpUrl + (servers[n].nsp ?? '/api'));
        const r = { local: n === 0, latencies: [], socket: s, warm: false };
        s.on('shout', (sent) => {
          if (typeof sent === 'number') r.latencies.push(now() - sent);
          else r.warm = true;
        });
        receivers.push(r);
      }
    }
    const sender = await connect(servers[0].httpUrl + (servers[0].nsp ?? '/api'));
    // Warm-up: until a shout reaches every receiver (subscriptions and readers are in place).
    for (let tries = 0; tries < 100 && !receivers.every((r) => r.warm); tries++) {
      sender.emit('shout', 'warm-up');
      await new Promise((r) => setTimeout(r, 100));
    }
    if (!receivers.every((r) => r.warm)) throw new Error(`${setup.name}: the warm-up never reached every receiver`);
    await new Promise((r) => setTimeout(r, 500));
    const cpu0 = servers.map((s) => cpuSeconds(s.pid));
    const redis0 = cpuSeconds(redis.child.pid);
    const t0 = now();
    for (let i = 0; i < MESSAGES; i++) {
      const due = t0 + (i * 1000) / RATE;
      const wait = due - now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      sender.emit('shout', now());
    }
    const expected = MESSAGES * receivers.length;
    const deadline = now() + 15000;
    while (receivers.reduce((n, r) => n + r.latencies.length, 0) < expected && now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const cpu = servers.reduce((sum, s, i) => sum + cpuSeconds(s.pid) - cpu0[i], 0);
    const redisCpu = cpuSeconds(redis.child.pid) - redis0;
    const got = receivers.reduce((n, r) => n + r.latencies.length, 0);
    const pick = (local) => receivers.filter((r) => r.local === local).flatMap((r) => r.latencies).sort((a, b) => a - b);
    const local = pick(true);
    const remote = pick(false);
    sender.close();
    receivers.forEach((r) => r.socket.close());
    return {
      name: setup.name, receivers: receivers.length, messages: MESSAGES, rate: RATE, expected, delivered: got,
      local: { p50: percentile(local, 50), p99: percentile(local, 99), n: local.length },
      remote: { p50: percentile(remote, 50), p99: percentile(remote, 99), n: remote.length },
      cpuUsPerDelivery: (cpu * 1e6) / Math.max(1, got),
      redisCpuUsPerMessage: (redisCpu * 1e6) / MESSAGES,
    };
  } finally {
    await Promise.all(servers.map((s) => s.kill()));
    await redis.cleanup();
  }
}

const results = [];
for (const setup of setups) {
  progress(`${setup.name}: ${RECEIVERS} receivers per node, ${MESSAGES} broadcasts at ${RATE}/s`);
  results.push(await measure(setup));
}
fs.mkdirSync(path.dirname(OUT), { recursive: true });
fs.writeFileSync(OUT, JSON.stringify(results, null, 2));
const ms = (x) => (Number.isFinite(x) ? x.toFixed(2) : '–');
console.log(`# Cross-node broadcast: ${MESSAGES} broadcasts at ${RATE}/s, ${RECEIVERS} receivers per node\n`);
console.log('| setup | delivered | local p50 / p99 ms | remote p50 / p99 ms | server CPU µs per delivery | redis CPU µs per broadcast |');
console.log('|---|---|---|---|---|---|');
for (const r of results) {
  console.log(`| ${r.name} | ${r.delivered}/${r.expected} | ${ms(r.local.p50)} / ${ms(r.local.p99)} | ${ms(r.remote.p50)} / ${ms(r.remote.p99)} | ${r.cpuUsPerDelivery.toFixed(1)} | ${r.redisCpuUsPerMessage.toFixed(1)} |`);
}
process.exit(0);
