// The benchmark: beastio, the socket.io 4.8 Node server and the floor sender
// (bench/floor.cpp) side by side in one run, measured by the C++ load
// generator (bench/load.cpp). See docs/benchmarks.md, which a full run rewrites.
//
//   node bench/run.mjs                  the full matrix; writes docs/benchmarks.md and its charts
//   node bench/run.mjs --quick          a smoke run of a few seconds (ctest e2e.bench): checks the counts
//
// Every server runs under `taskset -c 0` with --threads 1, the load under
// `taskset -c 1`; each point starts a fresh server and a fresh load process.
// Options: --quick, --reps N, --clients 1000,5000, --rates 1,50, --only beastio,floor,
// --beastio PATH, --bin-dir DIR (beastio-load, beastio-floor), --json FILE, --md FILE (or "-" for stdout),
// --no-extras (skip the storm, threads and handshake rows).
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseCommandLine } from '../clients/lib/cli.mjs';
import { freePort, canConnect } from '../tests/lib/fixture.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(here, '..');

let options;
try {
  ({ options } = parseCommandLine(process.argv.slice(2), {
    quick: { type: 'boolean' },
    reps: { type: 'number', min: 1 },
    clients: { type: 'string' },
    rates: { type: 'string' },
    only: { type: 'string' },
    beastio: { type: 'string' },
    'bin-dir': { type: 'string' },
    json: { type: 'string' },
    md: { type: 'string' },
    'no-extras': { type: 'boolean' },
  }));
} catch (err) {
  process.stderr.write(`run: ${err.message}\n`);
  process.exit(2);
}

const QUICK = Boolean(options.quick);
const BUILD = path.join(ROOT, 'build');
const BEASTIO = path.resolve(options.beastio || process.env.BEASTIO_BIN || path.join(BUILD, 'beastio'));
const BIN_DIR = path.resolve(options['bin-dir'] || path.join(path.dirname(BEASTIO), 'bench'));
const LOAD = path.join(BIN_DIR, 'beastio-load');
const FLOOR = path.join(BIN_DIR, 'beastio-floor');
const REFERENCE = path.join(here, 'reference-server.mjs');
const SERVERS = (options.only || 'beastio,socket.io,floor').split(',');
const CPUS = os.availableParallelism ? os.availableParallelism() : os.cpus().length;
const PIN = fs.existsSync('/usr/bin/taskset') && CPUS >= 2;
const IDLE_TICK_MS = 24 * 3600 * 1000;

const list = (s, d) => (s ? s.split(',').map(Number) : d);
const MATRIX = QUICK
  ? { clients: list(options.clients, [200]), rates: list(options.rates, [50]), reps: options.reps ?? 1,
      warmup: 1, window: 2, window1hz: 2, grace: 1, idle: [200], settle: 1, storm: 100, threads: null }
  : { clients: list(options.clients, [1000, 5000, 10000, 19000]), rates: list(options.rates, [1, 50, 100]),
      reps: options.reps ?? 3, warmup: 3, window: 8, window1hz: 15, grace: 1.5,
      idle: list(options.clients, [1000, 5000, 10000, 19000]), settle: 3, storm: 10000, threads: 5000 };

// ---- processes ----

const children = new Set();
function killAll() {
  for (const c of children) {
    try { c.kill('SIGKILL'); } catch { /* gone */ }
  }
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { killAll(); process.exit(130); });

function launch(cmd, args, { cpu, env } = {}) {
  const [file, argv] = PIN && cpu != null ? ['taskset', ['-c', cpu, cmd, ...args]] : [cmd, args];
  const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  children.add(child);
  child.exited = new Promise((r) => child.once('exit', (code, signal) => { children.delete(child); r({ code, signal }); }));
  child.stderrText = '';
  child.stderr.on('data', (d) => { if (child.stderrText.length < 20000) child.stderrText += d; });
  return child;
}

async function waitPort(port, child, what) {
  const deadline = Date.now() + 15000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited: ${child.stderrText}`);
    if (await canConnect(port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not listen on ${port}`);
}

// A server of one kind on a free port; resolves once it accepts connections.
async function startServer(kind, { tickMs, threads = 1, cpu = '0', recoveryMs = 0, port }) {
  port = port ?? (await freePort());
  let child;
  if (kind === 'beastio') {
    const args = ['--address', '127.0.0.1', '--port', String(port), '--tick-ms', String(tickMs), '--threads',
      String(threads), '--log-level', 'warn'];
    if (recoveryMs) args.push('--recovery-window-ms', String(recoveryMs));
    child = launch(BEASTIO, args, { cpu });
  } else if (kind === 'socket.io') {
    const args = [REFERENCE, '--port', String(port), '--tick-ms', String(tickMs)];
    if (recoveryMs) args.push('--recovery-window-ms', String(recoveryMs));
    child = launch(process.execPath, args, { cpu });
  } else if (kind === 'floor') {
    child = launch(FLOOR, ['--port', String(port), '--tick-ms', String(tickMs)], { cpu });
  } else {
    throw new Error(`unknown server ${kind}`);
  }
  await waitPort(port, child, kind);
  return { kind, child, pid: child.pid, port };
}

async function stopServer(s) {
  if (s.child.exitCode !== null) return;
  s.child.kill('SIGKILL');
  await s.child.exited;
}

// The load generator; resolves with its JSON report. onLine sees its stdout lines (storm-ready).
function runLoad(args, { cpu = '1', onLine } = {}) {
  const child = launch(LOAD, args, { cpu });
  let report = null;
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    if (line.startsWith('{')) report = JSON.parse(line);
    else if (onLine) onLine(line);
  });
  return child.exited.then(({ code }) => {
    if (!report) throw new Error(`beastio-load gave no report (exit ${code}): ${child.stderrText}`);
    report.exitCode = code;
    report.stderr = child.stderrText.trim();
    return report;
  });
}

const progress = (s) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${s}\n`);

// ---- the measurements ----

// Points that ask for more deliveries per second than any server here can make
// saturate it: there the generator reads each socket every READ_EVERY_MS, so
// that one read takes all that came meanwhile and the generator (otherwise
// about as costly per delivery as the server) is not what bounds the row.
// Their latencies then include that wait and are not reported.
const SATURATING = 200000;
const READ_EVERY_MS = 200;
const lazyReads = (clients, rate) => !QUICK && clients * rate >= SATURATING;

async function deliverPoint(kind, clients, rate, rep) {
  const tickMs = Math.round(1000 / rate);
  const s = await startServer(kind, { tickMs });
  try {
    const r = await runLoad(['--port', String(s.port), '--clients', String(clients), '--server-pid', String(s.pid),
      '--warmup-s', String(MATRIX.warmup), '--window-s', String(rate === 1 ? MATRIX.window1hz : MATRIX.window),
      '--grace-s', String(MATRIX.grace), '--read-every-ms', String(lazyReads(clients, rate) ? READ_EVERY_MS : 0)]);
    progress(`${kind} ${clients} × ${rate} Hz #${rep + 1}: ${r.deliveries_per_s.toFixed(0)}/s of ${clients * rate}, ` +
      `${r.server_us.toFixed(2)} µs/delivery (user ${r.server_user_us.toFixed(2)}), p99 ${r.latency_p99_ms.toFixed(1)} ms` +
      `${r.client_bound ? ' CLIENT-BOUND' : ''}`);
    return { kind, clients, rate, rep, ...r };
  } finally {
    await stopServer(s);
  }
}

async function idlePoint(kind, clients, rep) {
  const s = await startServer(kind, { tickMs: IDLE_TICK_MS });
  try {
    await new Promise((r) => setTimeout(r, 1000));
    const r = await runLoad(['--port', String(s.port), '--clients', String(clients), '--server-pid', String(s.pid),
      '--mode', 'idle', '--settle-s', String(MATRIX.settle)]);
    const perConn = ((r.idle_rss_after_kib - r.idle_rss_before_kib) * 1024) / clients;
    const kernelPerConn = ((r.idle_tcp_pages_after - r.idle_tcp_pages_before) * 4096) / clients;
    progress(`${kind} idle ${clients} #${rep + 1}: ${(perConn / 1024).toFixed(2)} KiB/connection, ` +
      `${r.handshakes_per_s.toFixed(0)} handshakes/s`);
    return { kind, clients, rep, rss_per_conn_bytes: perConn, kernel_tcp_per_conn_bytes: kernelPerConn, ...r };
  } finally {
    await stopServer(s);
  }
}

// All N connected with recovery on; the server is killed (SIGKILL) and started again on the same port.
async function stormPoint(kind, clients) {
  const recoveryMs = 120000;
  let s = await startServer(kind, { tickMs: 100, recoveryMs });
  const port = s.port;
  let restarted = null;
  const r = await runLoad(['--port', String(port), '--clients', String(clients), '--mode', 'storm',
    '--storm-limit-s', QUICK ? '30' : '60'], {
    onLine: (line) => {
      if (line !== 'storm-ready') return;
      restarted = (async () => {
        await stopServer(s);
        s = await startServer(kind, { tickMs: 100, recoveryMs, port });
      })();
    },
  });
  if (restarted) await restarted;
  await stopServer(s);
  progress(`${kind} storm ${clients}: ${r.exitCode === 0 ? `all rejoined in ${r.storm_s.toFixed(2)} s` : `${r.storm_rejoined} of ${clients} rejoined`} ` +
    `(${r.storm_recovered} recovered)`);
  return { kind, clients, ...r };
}

// Unpinned, --threads 1 and 2: deliveries per second at saturation.
async function threadsPoint(threads, clients, rate) {
  const s = await startServer('beastio', { tickMs: Math.round(1000 / rate), threads, cpu: null });  // null: unpinned
  try {
    // The generator shares the two cores with the server here: it reads in passes (as at saturation above).
    const r = await runLoad(['--port', String(s.port), '--clients', String(clients), '--server-pid', String(s.pid),
      '--warmup-s', String(MATRIX.warmup), '--window-s', String(MATRIX.window), '--grace-s', String(MATRIX.grace),
      '--read-every-ms', String(QUICK ? 0 : READ_EVERY_MS)], { cpu: null });
    progress(`beastio --threads ${threads} unpinned ${clients} × ${rate} Hz: ${r.deliveries_per_s.toFixed(0)}/s`);
    return { threads, clients, rate, ...r };
  } finally {
    await stopServer(s);
  }
}

// ---- statistics and the report ----

const median = (xs) => {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return NaN;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};
const fmt = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '–');
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : '–');

function summarise(runs, keys) {
  const groups = new Map();
  for (const r of runs) {
    const k = keys.map((key) => r[key]).join('|');
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(r);
  }
  return [...groups.values()].map((g) => {
    const out = { ...Object.fromEntries(keys.map((k) => [k, g[0][k]])), reps: g.length };
    for (const f of Object.keys(g[0])) if (typeof g[0][f] === 'number' && !keys.includes(f)) out[f] = median(g.map((r) => r[f]));
    out.gaps = g.reduce((a, r) => a + r.gaps, 0);
    out.duplicates = g.reduce((a, r) => a + r.duplicates, 0);
    out.errors = g.reduce((a, r) => a + r.errors, 0);
    out.client_bound = g.some((r) => r.client_bound);
    out.sustained = g.every((r) => r.deliveries_per_s >= 0.99 * r.clients * r.rate && r.latency_p99_ms < 50);
    return out;
  });
}

function versions() {
  const tryRun = (cmd, args) => { try { return execFileSync(cmd, args, { encoding: 'utf8' }).trim(); } catch { return ''; } };
  const pkg = (name) => { try { return JSON.parse(fs.readFileSync(path.join(ROOT, 'clients', 'node_modules', name, 'package.json'))).version; } catch { return '?'; } };
  const cpu = (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/) || [])[1] || '?';
  return {
    beastio: tryRun('git', ['-C', ROOT, 'describe', '--always', '--dirty']),
    beastioVersion: tryRun(BEASTIO, ['--version']),
    node: process.version, socketio: pkg('socket.io'), engineio: pkg('engine.io'), ws: pkg('ws'),
    kernel: os.release(), nproc: CPUS, cpu, ramGiB: (os.totalmem() / 2 ** 30).toFixed(1),
    date: new Date().toISOString(),
  };
}

function charts(deliver, idle, dir) {
  const gp = (() => { try { execFileSync('gnuplot', ['--version']); return true; } catch { return false; } })();
  if (!gp) { progress('gnuplot not found (apt install gnuplot-nox): no charts'); return []; }
  const made = [];
  const rate = MATRIX.rates.includes(50) ? 50 : MATRIX.rates[0];
  const plot = (file, title, ylabel, series) => {
    const data = series.map((s) => s.points.map(([x, y]) => `${x} ${y}`).join('\n')).join('\n\n\n');
    const dat = path.join(os.tmpdir(), `beastio-bench-${process.pid}-${path.basename(file)}.dat`);
    fs.writeFileSync(dat, data + '\n');
    const plots = series.map((s, i) => `'${dat}' index ${i} with linespoints lw 2 pt 7 title '${s.name}'`).join(', ');
    execFileSync('gnuplot', ['-e', `set terminal pngcairo size 800,480 font 'DejaVu Sans,10'; set output '${file}'; ` +
      `set title '${title}'; set xlabel 'clients'; set ylabel '${ylabel}'; set grid; set key top left; ` +
      `set yrange [0:*]; plot ${plots}`]);
    fs.rmSync(dat);
    made.push(path.basename(file));
  };
  const series = (rows, field, filter) => SERVERS.map((kind) => ({
    name: kind,
    points: rows.filter((r) => r.kind === kind && filter(r)).sort((a, b) => a.clients - b.clients).map((r) => [r.clients, field(r)]),
  })).filter((s) => s.points.length);
  plot(path.join(dir, 'benchmarks-cpu.png'), `server CPU per delivery at ${rate} Hz (user + sys, one core)`, 'µs per delivery',
    series(deliver, (r) => r.server_us, (r) => r.rate === rate));
  plot(path.join(dir, 'benchmarks-memory.png'), 'idle memory per connection (server RSS delta / N)', 'KiB per connection',
    series(idle, (r) => r.rss_per_conn_bytes / 1024, () => true));
  return made;
}

function markdown(meta, deliver, idle, storms, threads, pictures) {
  const L = [];
  const get = (rows, kind, pred) => rows.find((r) => r.kind === kind && pred(r));
  L.push(`One run of \`node bench/run.mjs${QUICK ? ' --quick' : ''}\` on ${meta.versions.date.slice(0, 10)}, ${meta.runtimeS.toFixed(0)} s.`, '');
  const v = meta.versions;
  L.push('### Machine and versions', '');
  L.push(`- beastio ${v.beastio} (${v.beastioVersion}), \`--threads 1\`; socket.io ${v.socketio} (engine.io ${v.engineio}, ws ${v.ws}) on Node ${v.node}; floor: \`bench/floor.cpp\``);
  L.push(`- Linux ${v.kernel}, ${v.nproc} CPUs (${v.cpu}), ${v.ramGiB} GiB; server pinned to CPU 0, load to CPU 1: ${PIN ? 'yes' : 'no'}`);
  L.push(`- ${MATRIX.reps} repeat(s) per point, medians; ${MATRIX.window} s windows (${MATRIX.window1hz} s at 1 Hz) after ${MATRIX.warmup} s of warm-up`, '');
  const cols = SERVERS;
  const hasSio = cols.includes('socket.io');
  const hasFloor = cols.includes('floor');
  L.push('### CPU per delivery (µs, server process, user + sys)', '');
  L.push(`| clients × rate | ${cols.map((c) => `${c} total (user / sys)`).join(' | ')}${hasSio ? ' | socket.io ÷ beastio, user' : ''}${hasFloor ? ' | beastio ÷ floor, total' : ''} |`);
  L.push(`|---|${cols.map(() => '---').join('|')}${hasSio ? '|---' : ''}${hasFloor ? '|---' : ''}|`);
  for (const n of MATRIX.clients) for (const rate of MATRIX.rates) {
    const rs = cols.map((k) => get(deliver, k, (r) => r.clients === n && r.rate === rate));
    if (rs.every((r) => !r)) continue;
    const b = get(deliver, 'beastio', (r) => r.clients === n && r.rate === rate);
    const s = get(deliver, 'socket.io', (r) => r.clients === n && r.rate === rate);
    const f = get(deliver, 'floor', (r) => r.clients === n && r.rate === rate);
    L.push(`| ${n} × ${rate} Hz${lazyReads(n, rate) ? ' ʳ' : ''} | ${rs.map((r) => (r ? `${fmt(r.server_us)} (${fmt(r.server_user_us)} / ${fmt(r.server_sys_us)})${r.client_bound ? ' ᶜ' : ''}` : '–')).join(' | ')}` +
      `${hasSio ? ` | ${ratio(s?.server_user_us, b?.server_user_us)}` : ''}${hasFloor ? ` | ${ratio(b?.server_us, f?.server_us)}` : ''} |`);
  }
  L.push('', 'ᶜ client-bound: the load generator used ≥ 90 % of its core in the window. ' +
    `ʳ ${SATURATING} deliveries/s or more asked, beyond every server here: the generator reads every ${READ_EVERY_MS} ms ` +
    '(one read takes what came meanwhile), so that the server, not the generator, bounds the row; such rows report no latency.', '');
  L.push('### Deliveries, latency and fan-out spread', '');
  L.push('| clients × rate | server | deliveries/s (target) | server CPU | fan-out latency p50 / p99 ms | spread p50 / p99 ms | sustained | gaps / dups / errors |');
  L.push('|---|---|---|---|---|---|---|---|');
  for (const n of MATRIX.clients) for (const rate of MATRIX.rates) for (const k of cols) {
    const r = get(deliver, k, (x) => x.clients === n && x.rate === rate);
    if (!r) continue;
    const lazy = lazyReads(n, rate);
    L.push(`| ${n} × ${rate} Hz${lazy ? ' ʳ' : ''} | ${k} | ${fmt(r.deliveries_per_s, 0)} (${n * rate}) | ${fmt(r.server_cpu * 100, 0)} % | ` +
      `${lazy ? '–' : `${fmt(r.latency_p50_ms)} / ${fmt(r.latency_p99_ms)}`} | ${lazy ? '–' : `${fmt(r.spread_p50_ms)} / ${fmt(r.spread_p99_ms)}`} | ` +
      `${r.sustained ? 'yes' : 'no'} | ${r.gaps} / ${r.duplicates} / ${r.errors} |`);
  }
  L.push('');
  L.push('Highest load sustained (deliveries ≥ 99 % of the target and fan-out p99 < 50 ms, in every repeat):', '');
  for (const k of cols) {
    const ok = deliver.filter((r) => r.kind === k && r.sustained).sort((a, b) => b.clients * b.rate - a.clients * a.rate)[0];
    L.push(`- ${k}: ${ok ? `${ok.clients} × ${ok.rate} Hz = ${ok.clients * ok.rate} deliveries/s` : 'none of the points'}`);
  }
  L.push('');
  L.push('### Idle memory per connection', '');
  L.push(`| clients | ${cols.map((c) => `${c} KiB`).join(' | ')}${hasSio ? ' | socket.io ÷ beastio' : ''} | kernel TCP KiB / connection (beastio run) | handshakes/s (${cols.join(', ')}) |`);
  L.push(`|---|${cols.map(() => '---').join('|')}${hasSio ? '|---' : ''}|---|---|`);
  for (const n of MATRIX.idle) {
    const rs = cols.map((k) => get(idle, k, (r) => r.clients === n));
    if (rs.every((r) => !r)) continue;
    const b = get(idle, 'beastio', (r) => r.clients === n);
    const s = get(idle, 'socket.io', (r) => r.clients === n);
    L.push(`| ${n} | ${rs.map((r) => (r ? fmt(r.rss_per_conn_bytes / 1024) : '–')).join(' | ')}${hasSio ? ` | ${ratio(s?.rss_per_conn_bytes, b?.rss_per_conn_bytes)}` : ''} | ` +
      `${b ? fmt(b.kernel_tcp_per_conn_bytes / 1024) : '–'} | ${rs.map((r) => (r ? fmt(r.handshakes_per_s, 0) : '–')).join(' / ')} |`);
  }
  L.push('', 'RSS is user-space memory of the server process (VmRSS after the clients connected and settled, minus before, ÷ N). ' +
    'The kernel column is the machine\'s TCP memory (/proc/net/sockstat) over the same interval ÷ N: both ends of each connection, apart.', '');
  if (storms.length) {
    L.push('### Reconnect storm (recovery on, server killed with SIGKILL and restarted)', '');
    L.push('| server | clients | all rejoined after (s), median (each repeat) | recovered | gaps / dups |', '|---|---|---|---|---|');
    const limit = QUICK ? 30 : 60;
    const each = (r) => (r.exitCode === 0 ? fmt(r.storm_s) : `not all: ${r.storm_rejoined} of ${r.clients} in ${limit} s`);
    for (const r of storms)
      L.push(`| ${r.kind} | ${r.clients} | ${Number.isFinite(r.storm_s) ? fmt(r.storm_s) : `not all in ${limit} s`} (each: ${r.all.map(each).join(', ')}) | ${r.storm_recovered} | ${r.gaps} / ${r.duplicates} |`);
    L.push('', 'The sessions lived in the killed process, so none can be recovered: the rejoin time is the whole measure.', '');
  }
  if (threads.length === 2) {
    const [t1, t2] = [...threads].sort((a, b) => a.threads - b.threads);
    L.push(`### --threads 2, unpinned (${t1.clients} × ${t1.rate} Hz, load on the same two cores, reading every ${QUICK ? 0 : READ_EVERY_MS} ms)`, '');
    L.push('| threads | deliveries/s | server cores busy | server µs / delivery | load cores busy | load µs / delivery |', '|---|---|---|---|---|---|');
    for (const t of [t1, t2])
      L.push(`| ${t.threads} | ${fmt(t.deliveries_per_s, 0)} | ${fmt((t.server_us * t.deliveries_per_s) / 1e6)} | ${fmt(t.server_us)} | ${fmt(t.client_cpu)} | ${fmt(t.client_user_us + t.client_sys_us)} |`);
    L.push('', `Scaling: ${ratio(t2.deliveries_per_s, t1.deliveries_per_s)}.`, '');
  }
  for (const p of pictures) L.push(`![${p}](${p})`, '');
  return L.join('\n') + '\n';
}

// ---- main ----

async function main() {
  for (const f of [BEASTIO, LOAD, FLOOR]) if (!fs.existsSync(f)) throw new Error(`${f} is missing: build first (./dev build)`);
  const t0 = Date.now();
  const meta = { versions: versions(), matrix: MATRIX, servers: SERVERS };
  const raw = { deliver: [], idle: [], storm: [], threads: [] };
  for (let rep = 0; rep < MATRIX.reps; rep++) {
    for (const n of MATRIX.idle) for (const k of SERVERS) raw.idle.push(await idlePoint(k, n, rep));
    for (const n of MATRIX.clients) for (const rate of MATRIX.rates) for (const k of SERVERS)
      raw.deliver.push(await deliverPoint(k, n, rate, rep));
  }
  if (!options['no-extras']) {
    for (let rep = 0; rep < MATRIX.reps; rep++) {
      for (const k of SERVERS.filter((s) => s !== 'floor')) raw.storm.push({ rep, ...(await stormPoint(k, MATRIX.storm)) });
      if (MATRIX.threads && SERVERS.includes('beastio'))
        for (const t of [1, 2]) raw.threads.push({ rep, ...(await threadsPoint(t, MATRIX.threads, 100)) });
    }
  }
  meta.runtimeS = (Date.now() - t0) / 1000;
  const deliver = summarise(raw.deliver, ['kind', 'clients', 'rate']);
  const idle = summarise(raw.idle, ['kind', 'clients']);
  // A storm that did not complete counts as the limit in the median, and is named.
  const storms = summarise(raw.storm.map((r) => ({ ...r, storm_s: r.exitCode === 0 ? r.storm_s : Infinity })), ['kind', 'clients'])
    .map((g) => ({ ...g, all: raw.storm.filter((r) => r.kind === g.kind) }));
  const threads = summarise(raw.threads, ['threads', 'clients', 'rate']);
  const jsonFile = options.json || path.join(BUILD, 'bench', `bench-${meta.versions.date.replace(/[:.]/g, '-')}.json`);
  fs.mkdirSync(path.dirname(jsonFile), { recursive: true });
  fs.writeFileSync(jsonFile, JSON.stringify({ meta, raw, deliver, idle, threads }, null, 1));
  const mdFile = options.md ?? (QUICK ? '-' : path.join(ROOT, 'docs', 'benchmarks.md'));
  const pictures = mdFile === '-' ? [] : charts(deliver, idle, path.dirname(mdFile));
  const md = markdown(meta, deliver, idle, storms, threads, pictures);
  if (mdFile === '-') process.stdout.write(md);
  else {
    // Between the markers of the page (the method around them is written by hand), or the whole file.
    const begin = '<!-- results: written by node bench/run.mjs -->';
    const end = '<!-- end of results -->';
    const old = fs.existsSync(mdFile) ? fs.readFileSync(mdFile, 'utf8') : '';
    const i = old.indexOf(begin);
    const j = old.indexOf(end);
    fs.writeFileSync(mdFile, i >= 0 && j > i ? `${old.slice(0, i + begin.length)}\n${md}${old.slice(j)}` : `${begin}\n${md}${end}\n`);
  }
  progress(`done in ${meta.runtimeS.toFixed(0)} s; raw figures in ${jsonFile}`);
}

main().catch((err) => {
  process.stderr.write(`run: ${err.stack || err.message}\n`);
  killAll();
  process.exit(1);
});
