// A lean Engine.IO v4 / Socket.IO v5 load client on raw `ws`, for the
// benchmark (socket.io-client is far too heavy to drive thousands of
// connections from one core). It speaks just enough of the protocol:
//
//   server: 0{"sid":...}        -> client: 40        (join namespace "/")
//   server: 40{"sid":...}          the connection counts as connected
//   server: 2                   -> client: 3         (heartbeat)
//   server: 42["integer",N]        counted, checked for gaps and duplicates
//
// It opens --clients connections with at most --concurrency handshakes in
// flight, waits --warmup-ms, then measures for --duration-ms: arrivals and,
// for every integer, the first and the last arrival over all connections
// (the fan-out spread is last - first). After the window it keeps reading for
// --grace-ms so that integers sent near its end are complete, then prints one
// JSON line with the results on stdout and exits.
//
// With --events it also prints {"event":"ready"|"window_start"|"window_end"}
// lines at those moments, so a runner can sample the server around the window.
//
//   node clients/bench/load.mjs --url ws://127.0.0.1:3000 --clients 1000 --duration-ms 10000
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { parseCommandLine } from '../lib/cli.mjs';

const SPEC = {
  url: { type: 'string', default: 'ws://127.0.0.1:3000' },
  path: { type: 'string', default: '/socket.io/' },
  clients: { type: 'number', default: 100, min: 1 },
  concurrency: { type: 'number', default: 200, min: 1 },
  'warmup-ms': { type: 'number', default: 2000, min: 0 },
  'duration-ms': { type: 'number', default: 10000, min: 0 },
  'grace-ms': { type: 'number', default: 1000, min: 0 },
  'connect-timeout-ms': { type: 'number', default: 60000, min: 1 },
  // Comma-separated extra source addresses (127.0.0.x), used round-robin, for
  // going past the ~28k ephemeral ports of one (source, destination) pair.
  'local-addresses': { type: 'string', default: '' },
  events: { type: 'boolean' },
};

let options;
try {
  ({ options } = parseCommandLine(process.argv.slice(2), SPEC));
} catch (err) {
  process.stderr.write(`load: ${err.message}\n`);
  process.exit(2);
}

const target = `${options.url.replace(/\/$/, '')}${options.path}?EIO=4&transport=websocket`;
const localAddresses = options['local-addresses'].split(',').map((s) => s.trim()).filter(Boolean);
const N = options.clients;

const emit = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);
const event = (name, extra = {}) => {
  if (options.events) emit({ event: name, t: Date.now(), ...extra });
};

// ---- hot-path parsing on raw bytes (no toString, no JSON.parse) ----

const EVENT_PREFIX = Buffer.from('42["integer",');
const PLEN = EVENT_PREFIX.length;
const C0 = 0x30; // '0'

/** The integer N of 42["integer",N] (or 42["integer",N,"<offset>"], recovery on), or -1 if `buf` is not that packet. */
function integerOf(buf) {
  const len = buf.length;
  if (len <= PLEN || buf[0] !== 0x34 || buf[1] !== 0x32) return -1;
  for (let i = 2; i < PLEN; i++) if (buf[i] !== EVENT_PREFIX[i]) return -1;
  let n = 0;
  let i = PLEN;
  for (; i < len; i++) {
    const d = buf[i] - C0;
    if (d < 0 || d > 9) break;
    n = n * 10 + d;
  }
  if (i === PLEN || i >= len || (buf[i] !== 0x5d /* ] */ && buf[i] !== 0x2c /* , */)) return -1;
  return n;
}

// ---- state ----

let phase = 'ramp'; // ramp -> warmup -> window -> grace -> done
let connected = 0;
let failed = 0;
let closedAfterConnect = 0;
let gaps = 0;
let duplicates = 0;
let malformed = 0;
let arrivalsTotal = 0;
let windowArrivals = 0;
let windowStart = 0;
let windowEnd = 0;
const connectTimes = [];
const errors = new Map(); // message -> count
// Per integer seen first inside the window: [first, last, count].
const perInteger = new Map();

function noteError(msg) {
  errors.set(msg, (errors.get(msg) ?? 0) + 1);
}

function onInteger(n, now, conn) {
  const last = conn.last;
  if (last >= 0) {
    if (n === last + 1) {
      // in order
    } else if (n <= last) duplicates++;
    else gaps += n - last - 1;
  }
  conn.last = n;
  arrivalsTotal++;
  if (phase === 'window') {
    windowArrivals++;
    const rec = perInteger.get(n);
    if (rec === undefined) perInteger.set(n, [now, now, 1]);
    else {
      rec[1] = now;
      rec[2]++;
    }
  } else if (phase === 'grace') {
    // Only completes integers whose first arrival was inside the window.
    const rec = perInteger.get(n);
    if (rec !== undefined) {
      rec[1] = now;
      rec[2]++;
    }
  }
}

// ---- connections ----

let launched = 0;
let inFlight = 0;
let rampStart = 0;
let rampDone = null;

function openOne(index) {
  const started = performance.now();
  const conn = { last: -1, joined: false };
  const opts = { perMessageDeflate: false, skipUTF8Validation: true, handshakeTimeout: options['connect-timeout-ms'] };
  if (localAddresses.length) opts.localAddress = localAddresses[index % localAddresses.length];
  let ws;
  let settled = false;
  try {
    ws = new WebSocket(target, opts);
  } catch (err) {
    noteError(err.message);
    settle(false);
    return;
  }
  function settle(ok) {
    if (settled) return;
    settled = true;
    inFlight--;
    if (ok) {
      connected++;
      connectTimes.push(performance.now() - started);
    } else failed++;
    pump();
  }
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    const b0 = data[0];
    if (b0 === 0x34 /* 4 */ && data.length > 1 && data[1] === 0x32 /* 2 */) {
      const n = integerOf(data);
      if (n >= 0) onInteger(n, performance.now(), conn);
      else malformed++;
    } else if (b0 === 0x32 /* 2: ping */ && data.length === 1) {
      ws.send('3');
    } else if (b0 === 0x30 /* 0: open */) {
      ws.send('40');
    } else if (b0 === 0x34 && data.length > 1 && data[1] === 0x30 /* 40 */) {
      if (!conn.joined) {
        conn.joined = true;
        settle(true);
      }
    } else if (b0 === 0x34 && data.length > 1 && data[1] === 0x34 /* 44: connect error */) {
      noteError(`connect_error ${data.toString()}`);
      ws.terminate();
    }
  });
  ws.on('error', (err) => {
    noteError(err.code || err.message);
  });
  ws.on('close', () => {
    if (!conn.joined) settle(false);
    else if (phase !== 'done') closedAfterConnect++;
  });
  sockets.push(ws);
}

const sockets = [];

function pump() {
  while (inFlight < options.concurrency && launched < N) {
    inFlight++;
    openOne(launched++);
  }
  if (connected + failed === N && rampDone) {
    const done = rampDone;
    rampDone = null;
    done();
  }
}

// ---- statistics ----

function quantile(sorted, q) {
  if (sorted.length === 0) return null;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[idx];
}
const round = (x, d = 3) => (x === null || x === undefined ? null : Math.round(x * 10 ** d) / 10 ** d);

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  rampStart = performance.now();
  const rampTimeout = setTimeout(() => {
    noteError('ramp timed out');
    if (rampDone) {
      const done = rampDone;
      rampDone = null;
      done();
    }
  }, options['connect-timeout-ms'] + 5000);
  await new Promise((resolve) => {
    rampDone = resolve;
    pump();
  });
  clearTimeout(rampTimeout);
  const rampMs = performance.now() - rampStart;
  event('ready', { connected, failed, rampMs: round(rampMs, 1) });

  phase = 'warmup';
  await sleep(options['warmup-ms']);

  event('window_start');
  phase = 'window';
  windowStart = performance.now();
  const openAtStart = sockets.filter((s) => s.readyState === WebSocket.OPEN).length;
  await sleep(options['duration-ms']);
  windowEnd = performance.now();
  phase = 'grace';
  event('window_end');
  await sleep(options['grace-ms']);
  phase = 'done';

  const openAtEnd = sockets.filter((s) => s.readyState === WebSocket.OPEN).length;
  const windowMs = windowEnd - windowStart;
  // Spread over integers that every connection open through the run received.
  const spreads = [];
  let incomplete = 0;
  for (const [, rec] of perInteger) {
    if (rec[2] >= openAtEnd && openAtEnd > 0) spreads.push(rec[1] - rec[0]);
    else incomplete++;
  }
  spreads.sort((a, b) => a - b);
  connectTimes.sort((a, b) => a - b);

  emit({
    event: 'result',
    url: target,
    clients: N,
    connected,
    failed,
    openAtWindowStart: openAtStart,
    openAtEnd,
    closedAfterConnect,
    rampMs: round(rampMs, 1),
    connectMs: {
      p50: round(quantile(connectTimes, 0.5)),
      p99: round(quantile(connectTimes, 0.99)),
      max: round(connectTimes.at(-1) ?? null),
    },
    windowMs: round(windowMs, 1),
    windowArrivals,
    arrivalsPerSec: round(windowMs > 0 ? (windowArrivals * 1000) / windowMs : 0, 1),
    arrivalsTotal,
    gaps,
    duplicates,
    malformed,
    spreadMs: {
      integers: spreads.length,
      incomplete,
      p50: round(quantile(spreads, 0.5)),
      p99: round(quantile(spreads, 0.99)),
      max: round(spreads.at(-1) ?? null),
    },
    errors: Object.fromEntries(errors),
  });

  for (const s of sockets) s.terminate();
  setTimeout(() => process.exit(0), 50);
}

process.on('SIGTERM', () => process.exit(1));
process.on('SIGINT', () => process.exit(1));

main().catch((err) => {
  process.stderr.write(`load: ${err.stack || err}\n`);
  process.exit(1);
});
