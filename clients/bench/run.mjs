// Side-by-side benchmark: beastio vs the socket.io 4.8 Node server, same
// application (one shared producer emitting 42["integer",N] on "/"), same
// load client, one run.
//
//   node clients/bench/run.mjs            full matrix (about 13 minutes)
//   node clients/bench/run.mjs --quick    tiny smoke run (about 20 seconds)
//
// Each measurement starts a fresh server pinned to CPU 0 (`taskset -c 0`) and
// a fresh load client (load.mjs) pinned to CPU 1, waits until the server
// accepts connections, ramps the clients, and samples /proc around a steady
// window. Prints a markdown report on stdout and writes every raw sample as
// JSON under build/bench/ (or --out FILE). Progress goes to stderr.
//
// Options: --quick, --out FILE, --beastio PATH (default $BEASTIO_BIN or
// build/beastio), --only beastio|socket.io, --reps N, and
// --beastio-env VAR=VALUE (one extra environment variable for the beastio
// process only, e.g. to try allocator settings).
import { spawn, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseCommandLine } from '../lib/cli.mjs';
import { freePort, startServer as startProcess } from '../../tests/lib/fixture.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const CLIENTS_DIR = path.resolve(here, '..');
const SOURCE_DIR = path.resolve(CLIENTS_DIR, '..');
const LOAD = path.join(here, 'load.mjs');
const REFERENCE = path.join(here, 'reference-server.mjs');

let options;
try {
  ({ options } = parseCommandLine(process.argv.slice(2), {
    quick: { type: 'boolean' },
    out: { type: 'string' },
    beastio: { type: 'string' },
    only: { type: 'string' },
    reps: { type: 'number', min: 1 },
    'beastio-env': { type: 'string' },
  }));
} catch (err) {
  process.stderr.write(`run: ${err.message}\n`);
  process.exit(2);
}

const BEASTIO = path.resolve(options.beastio || process.env.BEASTIO_BIN || path.join(SOURCE_DIR, 'build', 'beastio'));
// The runs use a private copy of the binary, so a rebuild during the run
// cannot mix two builds in one report.
let beastioCopy = null;
function snapshotBinary() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'beastio-bench-'));
  beastioCopy = path.join(dir, 'beastio');
  fs.copyFileSync(BEASTIO, beastioCopy);
  fs.chmodSync(beastioCopy, 0o755);
}
function removeSnapshot() {
  if (beastioCopy) fs.rmSync(path.dirname(beastioCopy), { recursive: true, force: true });
  beastioCopy = null;
}
const IDLE_TICK_MS = 24 * 3600 * 1000; // a day: the producer never fires during the memory runs
const CLK_TCK = Number(tryRun('getconf', ['CLK_TCK'])) || 100;
const PAGE = os.availableParallelism ? os.availableParallelism() : os.cpus().length;
const PIN = fs.existsSync('/usr/bin/taskset') && PAGE >= 2;
const SERVER_CPU = '0';
const CLIENT_CPU = '1';
const CLIENT_BOUND_PCT = 90;

// ---- the matrix ----

const FULL = {
  memory: { sizes: [1000, 5000, 10000], reps: 3, settleMs: 3000 },
  rates: [
    // 1 tick/s (the VIP demo): fan-out spread and cost at demo rate.
    { clients: 1000, tickMs: 1000, warmupMs: 3000, windowMs: 20000, reps: 1 },
    { clients: 5000, tickMs: 1000, warmupMs: 3000, windowMs: 20000, reps: 1 },
    { clients: 10000, tickMs: 1000, warmupMs: 3000, windowMs: 20000, reps: 1 },
    // Throughput: 50 ticks/s.
    { clients: 2000, tickMs: 20, warmupMs: 3000, windowMs: 15000, reps: 3 },
    { clients: 5000, tickMs: 20, warmupMs: 3000, windowMs: 15000, reps: 3 },
  ],
  graceMs: 1500,
};
const QUICK = {
  memory: { sizes: [50], reps: 1, settleMs: 300 },
  rates: [
    { clients: 50, tickMs: 100, warmupMs: 300, windowMs: 2000, reps: 1 },
    { clients: 50, tickMs: 20, warmupMs: 300, windowMs: 2000, reps: 1 },
  ],
  graceMs: 300,
};
const MATRIX = options.quick ? QUICK : FULL;
if (options.reps) {
  MATRIX.memory.reps = options.reps;
  for (const r of MATRIX.rates) r.reps = options.reps;
}

const BEASTIO_ENV = {};
if (options['beastio-env']) {
  const eq = options['beastio-env'].indexOf('=');
  if (eq <= 0) {
    process.stderr.write('run: --beastio-env expects VAR=VALUE\n');
    process.exit(2);
  }
  BEASTIO_ENV[options['beastio-env'].slice(0, eq)] = options['beastio-env'].slice(eq + 1);
}

const SERVERS = [
  {
    name: 'beastio',
    env: BEASTIO_ENV,
    argv: (port, tickMs) => [beastioCopy, '--address', '127.0.0.1', '--port', String(port), '--tick-ms', String(tickMs), '--threads', '1', '--log-level', 'warn'],
  },
  {
    name: 'socket.io',
    argv: (port, tickMs) => [process.execPath, REFERENCE, '--port', String(port), '--tick-ms', String(tickMs)],
  },
].filter((s) => !options.only || s.name === options.only);

// ---- process bookkeeping: every child dies with the runner ----

const live = new Set();
function killAll() {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // gone already
    }
  }
  live.clear();
}
process.on('exit', () => {
  killAll();
  removeSnapshot();
});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    process.stderr.write(`run: ${sig}, stopping\n`);
    killAll();
    process.exit(130);
  });
}

function launch(argv, cpu, env = {}) {
  const cmd = PIN ? ['taskset', '-c', cpu, ...argv] : argv;
  // taskset execs the program, so the child's pid is the program's pid.
  const child = spawn(cmd[0], cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await Promise.race([gone, sleep(3000)]);
}

// ---- helpers ----

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function tryRun(cmd, args, opts = {}) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], ...opts }).trim();
  } catch {
    return null;
  }
}

/** CPU seconds (user + system, all threads) of a process, from /proc/PID/stat. */
function cpuSeconds(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime is field 14, stime field 15.
  return { user: Number(fields[11]) / CLK_TCK, sys: Number(fields[12]) / CLK_TCK };
}

/** VmRSS of a process in KiB. */
function rssKiB(pid) {
  const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+)\s+kB/m);
  return m ? Number(m[1]) : NaN;
}

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

function median(values) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}
const round = (x, d = 2) => (x === null || x === undefined || !Number.isFinite(x) ? null : Math.round(x * 10 ** d) / 10 ** d);

// ---- one server + one load client ----

// The shared fixture starts it (tests/lib/fixture.mjs). beastio runs with
// --log-level warn, which hides its "listening on" line, so readiness is "the
// port accepts".
async function startServer(server, tickMs) {
  const port = await freePort();
  return startProcess({ command: server.argv(port, tickMs), port, env: server.env, cpu: PIN ? SERVER_CPU : undefined });
}

/**
 * Runs the load client against `port` and calls hooks.onReady / onWindowStart /
 * onWindowEnd synchronously when it reports those moments. Returns its result.
 */
function runLoad(port, { clients, warmupMs, windowMs, graceMs }, hooks) {
  const argv = [
    process.execPath, LOAD,
    '--url', `ws://127.0.0.1:${port}`,
    '--clients', String(clients),
    '--concurrency', '200',
    '--warmup-ms', String(warmupMs),
    '--duration-ms', String(windowMs),
    '--grace-ms', String(graceMs),
    '--connect-timeout-ms', '60000',
    '--events',
  ];
  const child = launch(argv, CLIENT_CPU);
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  const limit = 60000 + 5000 + warmupMs + windowMs + graceMs + 15000;
  return new Promise((resolve, reject) => {
    let result = null;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`load client timed out after ${limit} ms`));
    }, limit);
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      let msg;
      try {
        msg = JSON.parse(line);
      } catch {
        return;
      }
      if (msg.event === 'ready') hooks.onReady?.(msg, child.pid);
      else if (msg.event === 'window_start') hooks.onWindowStart?.(msg, child.pid);
      else if (msg.event === 'window_end') hooks.onWindowEnd?.(msg, child.pid);
      else if (msg.event === 'result') result = msg;
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (result) resolve(result);
      else reject(new Error(`load client exited (${code ?? signal}) without a result: ${stderr.slice(-2000)}`));
    });
  });
}

async function memoryRun(server, clients, settleMs) {
  const srv = await startServer(server, IDLE_TICK_MS);
  try {
    await sleep(1000); // let the process finish starting (JIT, heap) before the baseline
    const rssBeforeKiB = rssKiB(srv.child.pid);
    let rssAfterKiB = null;
    const result = await runLoad(srv.port, { clients, warmupMs: settleMs, windowMs: 0, graceMs: 0 }, {
      onWindowStart: () => {
        rssAfterKiB = rssKiB(srv.child.pid);
      },
    });
    const perConnBytes = result.connected > 0 ? ((rssAfterKiB - rssBeforeKiB) * 1024) / result.connected : null;
    return {
      kind: 'memory',
      server: server.name,
      clients,
      connected: result.connected,
      failed: result.failed,
      rampMs: result.rampMs,
      connectP50Ms: result.connectMs.p50,
      connectP99Ms: result.connectMs.p99,
      rssBeforeKiB,
      rssAfterKiB,
      rssPerConnBytes: round(perConnBytes, 0),
      load: result,
    };
  } finally {
    await stopChild(srv.child);
  }
}

async function rateRun(server, scenario) {
  const srv = await startServer(server, scenario.tickMs);
  const pid = srv.child.pid;
  try {
    let start = null;
    let end = null;
    let rssReadyKiB = null;
    const result = await runLoad(srv.port, { ...scenario, graceMs: MATRIX.graceMs }, {
      onReady: () => {
        rssReadyKiB = rssKiB(pid);
      },
      onWindowStart: (_m, clientPid) => {
        start = { t: nowMs(), server: cpuSeconds(pid), client: cpuSeconds(clientPid) };
      },
      onWindowEnd: (_m, clientPid) => {
        end = { t: nowMs(), server: cpuSeconds(pid), client: cpuSeconds(clientPid), rssKiB: rssKiB(pid) };
      },
    });
    if (!start || !end) throw new Error('window not observed');
    const wallS = (end.t - start.t) / 1000;
    const srvUser = end.server.user - start.server.user;
    const srvSys = end.server.sys - start.server.sys;
    const cliCpu = end.client.user + end.client.sys - (start.client.user + start.client.sys);
    const deliveries = result.windowArrivals;
    const serverCpuPct = ((srvUser + srvSys) / wallS) * 100;
    const clientCpuPct = (cliCpu / wallS) * 100;
    return {
      kind: 'rate',
      server: server.name,
      clients: scenario.clients,
      tickMs: scenario.tickMs,
      hz: 1000 / scenario.tickMs,
      targetPerSec: (scenario.clients * 1000) / scenario.tickMs,
      connected: result.connected,
      failed: result.failed,
      closedAfterConnect: result.closedAfterConnect,
      rampMs: result.rampMs,
      connectP50Ms: result.connectMs.p50,
      connectP99Ms: result.connectMs.p99,
      windowS: round(wallS, 3),
      deliveries,
      deliveriesPerSec: round(result.arrivalsPerSec, 0),
      serverCpuPct: round(serverCpuPct, 1),
      serverUserS: round(srvUser, 2),
      serverSysS: round(srvSys, 2),
      cpuUsPerDelivery: deliveries > 0 ? round(((srvUser + srvSys) * 1e6) / deliveries, 3) : null,
      userUsPerDelivery: deliveries > 0 ? round((srvUser * 1e6) / deliveries, 3) : null,
      sysUsPerDelivery: deliveries > 0 ? round((srvSys * 1e6) / deliveries, 3) : null,
      clientCpuPct: round(clientCpuPct, 1),
      clientUsPerArrival: deliveries > 0 ? round((cliCpu * 1e6) / deliveries, 3) : null,
      clientBound: clientCpuPct >= CLIENT_BOUND_PCT,
      spreadP50Ms: result.spreadMs.p50,
      spreadP99Ms: result.spreadMs.p99,
      spreadIntegers: result.spreadMs.integers,
      gaps: result.gaps,
      duplicates: result.duplicates,
      rssReadyKiB,
      rssEndKiB: end.rssKiB,
      load: result,
    };
  } finally {
    await stopChild(srv.child);
  }
}

// ---- versions ----

function versions() {
  // Read from the installed tree (some packages do not export package.json).
  const pkgVersion = (...dirs) => {
    for (const dir of dirs) {
      try {
        return JSON.parse(fs.readFileSync(path.join(CLIENTS_DIR, 'node_modules', dir, 'package.json'), 'utf8')).version;
      } catch {
        // try the next place
      }
    }
    return null;
  };
  const engineWs = pkgVersion('engine.io/node_modules/ws', 'ws');
  const cpuModel = (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m) || [])[1] || os.cpus()[0]?.model;
  const memTotal = (fs.readFileSync('/proc/meminfo', 'utf8').match(/^MemTotal:\s+(\d+)/m) || [])[1];
  return {
    date: new Date().toISOString(),
    beastio: tryRun('git', ['-C', SOURCE_DIR, 'describe', '--always', '--dirty', '--tags']),
    beastioVersion: tryRun(beastioCopy ?? BEASTIO, ['--version']),
    beastioBinary: BEASTIO,
    beastioBinaryMtime: fs.existsSync(BEASTIO) ? fs.statSync(BEASTIO).mtime.toISOString() : null,
    beastioBinarySha256: fs.existsSync(BEASTIO) ? crypto.createHash('sha256').update(fs.readFileSync(beastioCopy ?? BEASTIO)).digest('hex').slice(0, 16) : null,
    node: process.version,
    socketio: pkgVersion('socket.io'),
    engineio: pkgVersion('engine.io'),
    wsServer: engineWs,
    wsClient: pkgVersion('ws'),
    kernel: os.release(),
    nproc: PAGE,
    cpu: cpuModel,
    memTotalGiB: memTotal ? round(Number(memTotal) / 1048576, 1) : null,
    loadavgAtStart: os.loadavg().map((x) => round(x, 2)),
    pinned: PIN ? `server taskset -c ${SERVER_CPU}, client taskset -c ${CLIENT_CPU}` : 'not pinned (no taskset or < 2 CPUs)',
    clkTck: CLK_TCK,
    beastioEnv: BEASTIO_ENV,
  };
}

// ---- report ----

function summarize(runs) {
  const groups = new Map();
  for (const r of runs) {
    const key = r.kind === 'memory' ? `memory|${r.clients}|${r.server}` : `rate|${r.clients}|${r.tickMs}|${r.server}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(r);
  }
  const rows = [];
  for (const [, g] of groups) {
    const first = g[0];
    const row = { kind: first.kind, server: first.server, clients: first.clients, reps: g.length };
    row.connectedAll = g.every((r) => r.connected === r.clients);
    if (first.kind === 'memory') {
      row.rssPerConnBytes = median(g.map((r) => r.rssPerConnBytes));
      row.rssAfterKiB = median(g.map((r) => r.rssAfterKiB));
      row.rssBeforeKiB = median(g.map((r) => r.rssBeforeKiB));
      row.rampMs = median(g.map((r) => r.rampMs));
      row.connectP50Ms = median(g.map((r) => r.connectP50Ms));
    } else {
      row.tickMs = first.tickMs;
      row.hz = first.hz;
      row.targetPerSec = first.targetPerSec;
      for (const k of ['deliveriesPerSec', 'serverCpuPct', 'cpuUsPerDelivery', 'userUsPerDelivery', 'sysUsPerDelivery', 'clientCpuPct', 'clientUsPerArrival', 'spreadP50Ms', 'spreadP99Ms', 'connectP50Ms', 'rampMs', 'rssEndKiB']) {
        row[k] = median(g.map((r) => r[k]));
      }
      row.cpuUsPerDeliveryRange = [Math.min(...g.map((r) => r.cpuUsPerDelivery ?? Infinity)), Math.max(...g.map((r) => r.cpuUsPerDelivery ?? -Infinity))];
      row.gaps = g.reduce((a, r) => a + r.gaps, 0);
      row.duplicates = g.reduce((a, r) => a + r.duplicates, 0);
      row.closedAfterConnect = g.reduce((a, r) => a + r.closedAfterConnect, 0);
      row.clientBoundRuns = g.filter((r) => r.clientBound).length;
    }
    rows.push(row);
  }
  return rows;
}

const fmt = (x, d = 2) => (x === null || x === undefined ? '—' : Number(x).toFixed(d));
const ratio = (a, b) => (a && b ? `${(a / b).toFixed(2)}×` : '—');

function markdown(meta, rows) {
  const out = [];
  out.push(`# beastio vs socket.io ${meta.versions.socketio}: benchmark run${options.quick ? ' (--quick)' : ''}`);
  out.push('');
  const v = meta.versions;
  out.push(`- date: ${v.date}`);
  out.push(`- beastio: ${v.beastio} (${v.beastioVersion}), binary built ${v.beastioBinaryMtime}, sha256 ${v.beastioBinarySha256}…, run with --threads 1`);
  out.push(`- node ${v.node}, socket.io ${v.socketio}, engine.io ${v.engineio}, ws ${v.wsServer} (server side), ws ${v.wsClient} (load client)`);
  out.push(`- kernel ${v.kernel}, nproc ${v.nproc}, CPU ${v.cpu}, RAM ${v.memTotalGiB} GiB, load average at start ${v.loadavgAtStart.join(' ')}`);
  out.push(`- pinning: ${v.pinned}; /proc CPU resolution 1/${v.clkTck} s`);
  if (Object.keys(v.beastioEnv).length) out.push(`- beastio environment: ${Object.entries(v.beastioEnv).map(([k, x]) => `${k}=${x}`).join(' ')}`);
  out.push(`- runtime: ${meta.runtimeS} s`);
  out.push('');

  const by = (kind, server, clients, tickMs) => rows.find((r) => r.kind === kind && r.server === server && r.clients === clients && (tickMs === undefined || r.tickMs === tickMs));

  const mem = [...new Set(rows.filter((r) => r.kind === 'memory').map((r) => r.clients))];
  if (mem.length) {
    out.push('## Idle RSS per connection (producer idle; VmRSS delta ÷ N; kernel socket memory not included)');
    out.push('');
    out.push('| N | beastio B/conn | socket.io B/conn | socket.io ÷ beastio | beastio RSS before → after (MiB) | socket.io RSS before → after (MiB) | connect p50 ms (beastio / socket.io) | reps |');
    out.push('|---|---|---|---|---|---|---|---|');
    for (const n of mem) {
      const b = by('memory', 'beastio', n);
      const s = by('memory', 'socket.io', n);
      const mib = (r) => (r ? `${fmt(r.rssBeforeKiB / 1024, 1)} → ${fmt(r.rssAfterKiB / 1024, 1)}` : '—');
      out.push(`| ${n} | ${fmt(b?.rssPerConnBytes, 0)} | ${fmt(s?.rssPerConnBytes, 0)} | ${ratio(s?.rssPerConnBytes, b?.rssPerConnBytes)} | ${mib(b)} | ${mib(s)} | ${fmt(b?.connectP50Ms, 1)} / ${fmt(s?.connectP50Ms, 1)} | ${b?.reps ?? s?.reps} |`);
    }
    out.push('');
  }

  const rates = [];
  for (const r of rows.filter((x) => x.kind === 'rate')) {
    if (!rates.some((x) => x.clients === r.clients && x.tickMs === r.tickMs)) rates.push({ clients: r.clients, tickMs: r.tickMs, hz: r.hz });
  }
  if (rates.length) {
    out.push('## Side by side (medians over repeats)');
    out.push('');
    out.push('| N × rate | metric | beastio | socket.io | socket.io ÷ beastio |');
    out.push('|---|---|---|---|---|');
    for (const sc of rates) {
      const b = by('rate', 'beastio', sc.clients, sc.tickMs);
      const s = by('rate', 'socket.io', sc.clients, sc.tickMs);
      const label = `${sc.clients} × ${sc.hz} Hz`;
      const cb = (r) => (r && r.clientBoundRuns ? ' (client-bound)' : '');
      out.push(`| ${label} | server CPU µs / delivery | ${fmt(b?.cpuUsPerDelivery, 2)}${cb(b)} | ${fmt(s?.cpuUsPerDelivery, 2)}${cb(s)} | ${ratio(s?.cpuUsPerDelivery, b?.cpuUsPerDelivery)} |`);
      out.push(`| ${label} | server CPU % of one core | ${fmt(b?.serverCpuPct, 1)} | ${fmt(s?.serverCpuPct, 1)} | ${ratio(s?.serverCpuPct, b?.serverCpuPct)} |`);
      out.push(`| ${label} | deliveries / s (target ${sc.clients * sc.hz}) | ${fmt(b?.deliveriesPerSec, 0)} | ${fmt(s?.deliveriesPerSec, 0)} | ${ratio(s?.deliveriesPerSec, b?.deliveriesPerSec)} |`);
      out.push(`| ${label} | fan-out spread p50 / p99 ms | ${fmt(b?.spreadP50Ms, 1)} / ${fmt(b?.spreadP99Ms, 1)} | ${fmt(s?.spreadP50Ms, 1)} / ${fmt(s?.spreadP99Ms, 1)} | ${ratio(s?.spreadP50Ms, b?.spreadP50Ms)} / ${ratio(s?.spreadP99Ms, b?.spreadP99Ms)} |`);
    }
    out.push('');
    out.push('## Rate runs in detail (medians; gaps, duplicates and closes summed over repeats)');
    out.push('');
    out.push('| server | N × rate | reps | deliveries/s | server CPU % | µs/delivery (user + sys) [min–max] | spread p50 / p99 ms | client CPU % (µs/arrival) | client-bound runs | connect p50 ms | gaps | dups | closed | RSS at end MiB |');
    out.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const sc of rates) {
      for (const name of ['beastio', 'socket.io']) {
        const r = by('rate', name, sc.clients, sc.tickMs);
        if (!r) continue;
        out.push(`| ${name} | ${sc.clients} × ${sc.hz} Hz | ${r.reps} | ${fmt(r.deliveriesPerSec, 0)} | ${fmt(r.serverCpuPct, 1)} | ${fmt(r.cpuUsPerDelivery, 2)} (${fmt(r.userUsPerDelivery, 2)} + ${fmt(r.sysUsPerDelivery, 2)}) [${fmt(r.cpuUsPerDeliveryRange[0], 2)}–${fmt(r.cpuUsPerDeliveryRange[1], 2)}] | ${fmt(r.spreadP50Ms, 1)} / ${fmt(r.spreadP99Ms, 1)} | ${fmt(r.clientCpuPct, 1)} (${fmt(r.clientUsPerArrival, 2)}) | ${r.clientBoundRuns}/${r.reps} | ${fmt(r.connectP50Ms, 1)} | ${r.gaps} | ${r.duplicates} | ${r.closedAfterConnect} | ${fmt(r.rssEndKiB / 1024, 1)} |`);
      }
    }
    out.push('');
  }
  if (meta.problems.length) {
    out.push('## Problems');
    out.push('');
    for (const p of meta.problems) out.push(`- ${p}`);
    out.push('');
  }
  return out.join('\n');
}

// ---- main ----

async function main() {
  if (SERVERS.some((s) => s.name === 'beastio') && !fs.existsSync(BEASTIO)) {
    throw new Error(`beastio binary not found at ${BEASTIO}: run ./dev build, or pass --beastio / BEASTIO_BIN`);
  }
  if (SERVERS.some((s) => s.name === 'beastio')) snapshotBinary();
  const began = Date.now();
  const meta = { versions: versions(), quick: !!options.quick, matrix: MATRIX, problems: [] };
  const runs = [];
  const log = (s) => process.stderr.write(`[${((Date.now() - began) / 1000).toFixed(0).padStart(4)} s] ${s}\n`);

  // Repeats interleave the servers, so slow drift on the machine hits both.
  for (const n of MATRIX.memory.sizes) {
    for (let rep = 0; rep < MATRIX.memory.reps; rep++) {
      for (const server of SERVERS) {
        const r = await memoryRun(server, n, MATRIX.memory.settleMs);
        r.rep = rep;
        runs.push(r);
        log(`memory ${server.name} N=${n} rep ${rep + 1}: ${r.connected}/${n} connected, ${r.rssPerConnBytes} B/conn`);
        await sleep(300);
      }
    }
  }
  for (const sc of MATRIX.rates) {
    for (let rep = 0; rep < sc.reps; rep++) {
      for (const server of SERVERS) {
        const r = await rateRun(server, sc);
        r.rep = rep;
        runs.push(r);
        log(`rate ${server.name} ${sc.clients} × ${1000 / sc.tickMs} Hz rep ${rep + 1}: ${r.deliveriesPerSec}/s, server ${r.serverCpuPct}% ${r.cpuUsPerDelivery} µs/delivery, client ${r.clientCpuPct}%, spread ${r.spreadP50Ms}/${r.spreadP99Ms} ms, gaps ${r.gaps}`);
        await sleep(300);
      }
    }
  }

  for (const r of runs) {
    const what = `${r.kind} ${r.server} N=${r.clients}${r.tickMs ? ` tick=${r.tickMs}ms` : ''} rep ${r.rep + 1}`;
    if (r.connected !== r.clients) meta.problems.push(`${what}: only ${r.connected}/${r.clients} connected (${JSON.stringify(r.load.errors)})`);
    if (r.kind === 'rate') {
      if (r.gaps || r.duplicates) meta.problems.push(`${what}: ${r.gaps} gaps, ${r.duplicates} duplicates`);
      if (r.closedAfterConnect) meta.problems.push(`${what}: ${r.closedAfterConnect} connections closed during the run`);
      if (r.clientBound) meta.problems.push(`${what}: client-bound (client CPU ${r.clientCpuPct}%)`);
    }
  }
  meta.runtimeS = round((Date.now() - began) / 1000, 0);
  const rows = summarize(runs);
  const report = markdown(meta, rows);

  const outFile = path.resolve(options.out || path.join(SOURCE_DIR, 'build', 'bench', `bench-${options.quick ? 'quick-' : ''}${meta.versions.date.replace(/[:.]/g, '-')}.json`));
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(outFile, `${JSON.stringify({ meta, rows, runs }, null, 2)}\n`);
  process.stdout.write(`${report}\nraw JSON: ${outFile}\n`);
}

main().then(
  () => {
    killAll();
    process.exit(0);
  },
  (err) => {
    process.stderr.write(`run: ${err.stack || err}\n`);
    killAll();
    process.exit(1);
  },
);
