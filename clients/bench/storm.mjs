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
//   node clients/bench/storm.mjs --url ws://127.0.0.1:3000 --clients 2000 --tick-ms 50
//
// The server must run with --recovery-window-ms. Prints one JSON line.
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { parseCommandLine } from '../lib/cli.mjs';

const SPEC = {
  url: { type: 'string', default: 'ws://127.0.0.1:3000' },
  clients: { type: 'number', default: 1000, min: 1 },
  concurrency: { type: 'number', default: 200, min: 1 },
  'tick-ms': { type: 'number', default: 50, min: 1 },
  'away-ms': { type: 'number', default: 0, min: 0 },
  'timeout-ms': { type: 'number', default: 60000, min: 1 },
};
let options;
try {
  ({ options } = parseCommandLine(process.argv.slice(2), SPEC));
} catch (err) {
  process.stderr.write(`storm: ${err.message}\n`);
  process.exit(2);
}
const target = `${options.url.replace(/\/$/, '')}/socket.io/?EIO=4&transport=websocket`;
const EVENT = /^42\["integer",(\d+),"([^"]+)"\]$/;

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
          if (this.pid) this.restored = reply.pid === this.pid && reply.sid === this.sid;
          this.sid = reply.sid;
          this.pid = reply.pid;
          this.connectedAt = performance.now();
          return resolve();
        }
        const m = EVENT.exec(text);
        if (m) {
          this.seen.push(Number(m[1]));
          this.offset = m[2];
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

const withTimeout = (p, ms, what) => Promise.race([p, new Promise((_, r) => setTimeout(() => r(new Error(`${what}: timed out after ${ms} ms`)), ms))]);

async function main() {
  const bystander = new Client();
  await bystander.open();
  const arrivals = [];
  bystander.ws.on('message', (d) => { if (d.toString().startsWith('42')) arrivals.push(performance.now()); });
  const clients = Array.from({ length: options.clients }, () => new Client());
  await withTimeout(inBatches(clients, options.concurrency, (c) => c.open()), options['timeout-ms'], 'connecting');
  // Everyone has integers before the cut.
  await withTimeout(new Promise((resolve) => {
    const check = setInterval(() => { if (clients.every((c) => c.seen.length >= 2)) { clearInterval(check); resolve(); } }, 20);
  }), options['timeout-ms'], 'first integers');

  const cutAt = performance.now();
  for (const c of clients) { c.ws.removeAllListeners('close'); c.ws.terminate(); }
  if (options['away-ms']) await new Promise((r) => setTimeout(r, options['away-ms']));
  // All at once: no concurrency limit, as after a real cut.
  const results = await withTimeout(Promise.allSettled(clients.map((c) => c.open())), options['timeout-ms'], 'reconnecting');
  const allBackAt = performance.now();
  const failed = results.filter((r) => r.status === 'rejected').length;
  // Let integers flow after the storm, then check every sequence.
  const last = bystander.seen.at(-1);
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
  const during = arrivals.filter((t) => t >= cutAt - options['tick-ms'] && t <= allBackAt + options['tick-ms']);
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
  })}\n`);
  for (const c of clients) c.ws.terminate();
  bystander.ws.terminate();
}

main().catch((err) => {
  process.stderr.write(`storm: ${err.stack}\n`);
  process.exit(1);
});
