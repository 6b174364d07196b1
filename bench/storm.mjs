// The reconnect storm of connection state recovery, measured: --clients
// lean Socket.IO clients (raw `ws`, as load.mjs) join "/", record every
// integer and its offset, then all drop their TCP connections at the same
// moment and reconnect at once with {pid, offset}, as socket.io-client does
// after a network cut. It reports how long until every client had its session
// back, how many were restored, what was replayed, whether any client's
// sequence has a gap or a duplicate across the cut, and how regular the
// producer stayed meanwhile (the largest interval between two integers at a
// bystander connection, against the tick).
//
//   node bench/storm.mjs --url ws://127.0.0.1:3000 --clients 2000 --tick-ms 50
//
// The server runs with --recovery-window-ms (without it, the same storm gives
// fresh sessions: a baseline for the cost of the reconnects themselves). The
// bystander runs in a process of its own, so that the storm's load on this
// process does not delay what it sees. Prints one JSON line.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import { parseCommandLine } from '../clients/lib/cli.mjs';

// The npm packages live in clients/ (one lockfile for the tree).
const WebSocket = createRequire(new URL('../clients/package.json', import.meta.url))('ws');

const SPEC = {
  url: { type: 'string', default: 'ws://127.0.0.1:3000' },
  clients: { type: 'number', default: 1000, min: 1 },
  concurrency: { type: 'number', default: 200, min: 1 },
  'tick-ms': { type: 'number', default: 50, min: 1 },
  'away-ms': { type: 'number', default: 0, min: 0 },
  'timeout-ms': { type: 'number', default: 60000, min: 1 },
  bystander: { type: 'boolean' },  // internal: be the bystander, print each arrival time
  'server-pid': { type: 'number', min: 0 },  // report the server's CPU during the storm (Linux /proc)
};
let options;
try {
  ({ options } = parseCommandLine(process.argv.slice(2), SPEC));
} catch (err) {
  process.stderr.write(`storm: ${err.message}\n`);
  process.exit(2);
}
const target = `${options.url.replace(/\/$/, '')}/socket.io/?EIO=4&transport=websocket`;
const EVENT = /^42\["integer",(\d+)(?:,"([^"]+)")?\]$/;

class Client {
  constructor() {
    this.seen = [];
    this.sid = null;
    this.pid = null;
    this.offset = null;
    this.restored = null;
  }

  // Opens a connection and joins "/" (with the session when there is one).
  open() {
    this.before = this.seen.length;
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(target, { perMessageDeflate: false });
      this.ws = ws;
      ws.on('message', (data) => {
        const text = data.toString();
        if (text === '2') return ws.send('3');
        if (text[0] === '0') {
          const auth = this.pid ? { pid: this.pid, ...(this.offset ? { offset: this.offset } : {}) } : null;
          return ws.send(auth ? `40${JSON.stringify(auth)}` : '40');
        }
        if (text.startsWith('40')) {
          const reply = JSON.parse(text.slice(2));
          if (this.pid) this.replayed = this.seen.length - this.before;
          if (this.pid) this.restored = reply.pid === this.pid && reply.sid === this.sid;
          this.sid = reply.sid;
          this.pid = reply.pid;
          this.connectedAt = performance.now();
          return resolve();
        }
        const m = EVENT.exec(text);
        if (m) {
          this.seen.push(Number(m[1]));
          if (m[2]) this.offset = m[2];
        }
      });
      ws.on('error', reject);
      ws.on('close', () => reject(new Error('closed before joining')));
    });
  }
}

async function inBatches(items, n, fn) {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

// The server's CPU seconds so far (user, sys), from /proc.
function serverCpu() {
  if (!options['server-pid']) return null;
  const stat = fs.readFileSync(`/proc/${options['server-pid']}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(f[11]) / 100, sys: Number(f[12]) / 100 };
}

const withTimeout = (p, ms, what) => Promise.race([p, new Promise((_, r) => setTimeout(() => r(new Error(`${what}: timed out after ${ms} ms`)), ms))]);

// The bystander: one connection, one line per integer ("<epoch ms> <n>").
async function bystanderMain() {
  const c = new Client();
  await c.open();
  process.stdout.write('ready\n');
  c.ws.on('message', (d) => {
    const m = /^42\["integer",(\d+)/.exec(d.toString());
    if (m) process.stdout.write(`${Date.now()} ${m[1]}\n`);
  });
}

function startBystander() {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--bystander', '--url', options.url], { stdio: ['ignore', 'pipe', 'inherit'] });
  const arrivals = [];
  const seen = [];
  const lines = createInterface({ input: child.stdout });
  const ready = new Promise((resolve) => lines.on('line', (line) => {
    if (line === 'ready') return resolve();
    const [t, n] = line.split(' ').map(Number);
    arrivals.push(t);
    seen.push(n);
  }));
  return { child, arrivals, seen, ready };
}

async function main() {
  const bystander = startBystander();
  await withTimeout(bystander.ready, options['timeout-ms'], 'bystander');
  const arrivals = bystander.arrivals;
  const clients = Array.from({ length: options.clients }, () => new Client());
  await withTimeout(inBatches(clients, options.concurrency, (c) => c.open()), options['timeout-ms'], 'connecting');
  // Everyone has integers before the cut.
  await withTimeout(new Promise((resolve) => {
    const check = setInterval(() => { if (clients.every((c) => c.seen.length >= 2)) { clearInterval(check); resolve(); } }, 20);
  }), options['timeout-ms'], 'first integers');

  const cpuBefore = serverCpu();
  const cutAt = performance.now();
  const cutWall = Date.now();
  for (const c of clients) { c.ws.removeAllListeners('close'); c.ws.terminate(); }
  if (options['away-ms']) await new Promise((r) => setTimeout(r, options['away-ms']));
  // All at once: no concurrency limit, as after a real cut.
  const results = await withTimeout(Promise.allSettled(clients.map((c) => c.open())), options['timeout-ms'], 'reconnecting');
  const allBackAt = performance.now();
  const backWall = Date.now();
  const cpuAfter = serverCpu();
  const failed = results.filter((r) => r.status === 'rejected').length;
  // Let integers flow after the storm, then check every sequence.
  const last = bystander.seen.at(-1) ?? 0;
  await withTimeout(new Promise((resolve) => {
    const check = setInterval(() => { if (clients.every((c) => c.seen.at(-1) >= last + 2)) { clearInterval(check); resolve(); } }, 20);
  }), options['timeout-ms'], 'integers after the storm');
  let gaps = 0;
  let duplicates = 0;
  for (const c of clients) {
    for (let i = 1; i < c.seen.length; i++) {
      if (c.seen[i] === c.seen[i - 1]) duplicates++;
      else if (c.seen[i] !== c.seen[i - 1] + 1) gaps++;
    }
  }
  const during = arrivals.filter((t) => t >= cutWall - options['tick-ms'] && t <= backWall + options['tick-ms']);
  let maxInterval = 0;
  for (let i = 1; i < during.length; i++) maxInterval = Math.max(maxInterval, during[i] - during[i - 1]);
  const back = clients.map((c) => c.connectedAt - cutAt).sort((a, b) => a - b);
  const pct = (p) => Math.round(back[Math.min(back.length - 1, Math.floor(p * back.length))]);
  process.stdout.write(`${JSON.stringify({
    clients: clients.length,
    restored: clients.filter((c) => c.restored === true).length,
    fresh: clients.filter((c) => c.restored === false).length,
    failed,
    all_back_ms: Math.round(allBackAt - cutAt),
    back_p50_ms: pct(0.5),
    back_p99_ms: pct(0.99),
    gaps,
    duplicates,
    tick_ms: options['tick-ms'],
    producer_max_interval_ms: Math.round(maxInterval),
    ...(cpuBefore ? {
      server_cpu_ms: Math.round((cpuAfter.user + cpuAfter.sys - cpuBefore.user - cpuBefore.sys) * 1000),
      server_cpu_us_per_client: Math.round(((cpuAfter.user + cpuAfter.sys - cpuBefore.user - cpuBefore.sys) * 1e6) / clients.length),
    } : {}),
    replayed: clients.reduce((n, c) => n + (c.replayed ?? 0), 0),
  })}\n`);
  for (const c of clients) c.ws.terminate();
  bystander.child.kill();
}

(options.bystander ? bystanderMain() : main()).catch((err) => {
  process.stderr.write(`storm: ${err.stack}\n`);
  process.exit(1);
});
