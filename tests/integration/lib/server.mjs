// Fixture: spawn the real beastio executable on 127.0.0.1 with an ephemeral
// port (unless told otherwise), wait for its "listening on <addr>:<port>" log
// line, collect its log lines, and always kill it in teardown.
import { spawn } from 'node:child_process';
import net from 'node:net';
import fs from 'node:fs';

export const BIN = process.env.BEASTIO_BIN;

// Short timers so heartbeat/connect-timeout tests finish in about a second.
export const DEFAULT_FLAGS = {
  '--ping-interval-ms': '300',
  '--ping-timeout-ms': '200',
  '--connect-timeout-ms': '1000',
  '--tick-ms': '50',
};

const live = new Set();
process.on('exit', () => {
  for (const child of live) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }
});

function requireBin() {
  if (!BIN) throw new Error('BEASTIO_BIN is not set (path to the beastio executable)');
  return BIN;
}

// Merge flags: test-specific values replace the defaults (each flag passed once).
function buildArgs({ address, port, flags, defaults }) {
  const merged = new Map();
  if (address !== undefined && address !== null) merged.set('--address', String(address));
  if (port !== undefined && port !== null) merged.set('--port', String(port));
  if (defaults) for (const [k, v] of Object.entries(DEFAULT_FLAGS)) merged.set(k, v);
  for (const [k, v] of Object.entries(flags ?? {})) {
    if (v === null || v === undefined) merged.delete(k);
    else merged.set(k, String(v));
  }
  const args = [];
  for (const [k, v] of merged) args.push(k, v);
  // The sanitizer runs add flags to every server (e.g. --threads 4 under TSan).
  const extra = (process.env.BEASTIO_EXTRA_ARGS ?? '').split(' ').filter(Boolean);
  for (let i = 0; i + 1 < extra.length; i += 2) {
    if (!merged.has(extra[i])) args.push(extra[i], extra[i + 1]);
  }
  return args;
}

export class ServerProcess {
  constructor(child, args) {
    this.child = child;
    this.args = args;
    this.lines = [];          // every stderr line, in order
    this.stdoutLines = [];
    this.port = undefined;
    this.address = undefined;
    this.exit = undefined;     // {code, signal} once exited
    this._logWaiters = new Set();
    this._exitPromise = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        live.delete(child);
        this.exit = { code, signal };
        resolve(this.exit);
        for (const w of this._logWaiters) w.onExit();
      });
    });
    this._split(child.stderr, this.lines, true);
    this._split(child.stdout, this.stdoutLines, true);
  }

  _split(stream, sink, notify) {
    let buf = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      buf += chunk;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).replace(/\r$/, '');
        buf = buf.slice(i + 1);
        sink.push(line);
        if (process.env.BEASTIO_TEST_VERBOSE) process.stderr.write(`[beastio] ${line}\n`);
        if (notify) for (const w of this._logWaiters) w.onLine(line);
      }
    });
    stream.on('end', () => {
      if (buf) {
        sink.push(buf);
        if (notify) for (const w of this._logWaiters) w.onLine(buf);
        buf = '';
      }
    });
  }

  get url() { return `ws://127.0.0.1:${this.port}`; }
  get httpBase() { return `http://127.0.0.1:${this.port}`; }

  logText() { return [...this.lines, ...this.stdoutLines].join('\n'); }

  // Resident memory of the server process, in KiB (Linux /proc).
  rssKiB() {
    const status = fs.readFileSync(`/proc/${this.child.pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+) kB/m.exec(status);
    if (!m) throw new Error('no VmRSS in /proc status');
    return Number(m[1]);
  }

  // True while the process is alive (not exited, not a zombie).
  get alive() { return this.exit === undefined; }

  // Resolve with the first log line (already seen at index >= from, or future)
  // matching re; reject after timeoutMs or when the process exits.
  waitForLog(re, timeoutMs = 5000, { from = 0 } = {}) {
    for (let i = from; i < this.lines.length; i++) {
      if (re.test(this.lines[i])) return Promise.resolve(this.lines[i]);
    }
    for (let i = 0; i < this.stdoutLines.length; i++) {
      if (re.test(this.stdoutLines[i])) return Promise.resolve(this.stdoutLines[i]);
    }
    return new Promise((resolve, reject) => {
      const w = {
        onLine: (line) => { if (re.test(line)) { done(); resolve(line); } },
        onExit: () => { done(); reject(new Error(`server exited (${JSON.stringify(this.exit)}) before a log line matched ${re}; log:\n${this.logText()}`)); },
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no log line matched ${re} within ${timeoutMs} ms; log:\n${this.logText()}`));
      }, timeoutMs);
      const done = () => { clearTimeout(timer); this._logWaiters.delete(w); };
      this._logWaiters.add(w);
      if (this.exit) w.onExit();
    });
  }

  waitExit(timeoutMs = 5000) {
    if (this.exit) return Promise.resolve(this.exit);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not exit within ${timeoutMs} ms`)), timeoutMs);
      this._exitPromise.then((e) => { clearTimeout(timer); resolve(e); });
    });
  }

  // Send a signal and wait (bounded) for the exit. Returns {code, signal, elapsedMs}.
  async stop(signal = 'SIGTERM', timeoutMs = 5000) {
    if (this.exit) return { ...this.exit, elapsedMs: 0 };
    const t0 = Date.now();
    this.child.kill(signal);
    try {
      const e = await this.waitExit(timeoutMs);
      return { ...e, elapsedMs: Date.now() - t0 };
    } catch (err) {
      await this.kill();
      throw err;
    }
  }

  // Teardown: SIGKILL if still running, wait for the exit (bounded).
  async kill() {
    if (SANITIZED) return this._sanitizedTeardown();
    if (this.exit) return this.exit;
    try { this.child.kill('SIGKILL'); } catch { /* gone */ }
    try { return await this.waitExit(5000); } catch { return undefined; }
  }

  // Under a sanitizer build the teardown is a clean shutdown (so LeakSanitizer
  // runs at exit), and any sanitizer report in the log fails the test.
  async _sanitizedTeardown() {
    if (!this.exit) {
      try { this.child.kill('SIGTERM'); } catch { /* gone */ }
      try { await this.waitExit(20000); } catch { try { this.child.kill('SIGKILL'); } catch { /* gone */ } }
      try { await this.waitExit(5000); } catch { /* give up */ }
    }
    const reports = this.lines.filter((l) => SANITIZER_REPORT.test(l));
    if (reports.length) {
      throw new Error(`sanitizer report from the server:\n${this.lines.slice(this.lines.findIndex((l) => SANITIZER_REPORT.test(l))).join('\n')}`);
    }
    return this.exit;
  }
}

// Set by the asan/tsan ctest entries: the binary is a sanitizer build.
const SANITIZED = Boolean(process.env.BEASTIO_SANITIZER);
const SANITIZER_REPORT = /ERROR: (Address|Leak)Sanitizer|WARNING: ThreadSanitizer|runtime error:|SUMMARY: \w+Sanitizer/;

// Spawn beastio and wait for "listening on <address>:<port>".
// opts: {flags: {'--app': 'echo', ...}, defaults: true, address: '127.0.0.1',
//        port: 0, env: {...}, timeoutMs: 10000}
export async function startServer(opts = {}) {
  const {
    flags = {}, defaults = true, address = '127.0.0.1', port = 0, env = {}, timeoutMs = 10000, maxOpenFiles,
  } = opts;
  const args = buildArgs({ address, port, flags, defaults });
  const childEnv = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete childEnv[k];
  // maxOpenFiles: run the server under that open-file limit (soft and hard), through
  // util-linux's prlimit, which execs it (same pid).
  const [cmd, cmdArgs] = maxOpenFiles
    ? ['prlimit', [`--nofile=${maxOpenFiles}:${maxOpenFiles}`, '--', requireBin(), ...args]]
    : [requireBin(), args];
  const child = spawn(cmd, cmdArgs, { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  const srv = new ServerProcess(child, args);
  const spawnError = new Promise((_, reject) => child.on('error', (e) => reject(new Error(`cannot spawn ${BIN}: ${e.message}`))));
  try {
    const line = await Promise.race([srv.waitForLog(/listening on /, timeoutMs), spawnError]);
    const m = /listening on (\S+):(\d+)/.exec(line);
    if (!m) throw new Error(`cannot parse the listening line: ${line}`);
    srv.address = m[1].replace(/^\[|\]$/g, '');
    srv.port = Number(m[2]);
    if (!(srv.port > 0)) throw new Error(`bad port in the listening line: ${line}`);
  } catch (err) {
    await srv.kill();
    throw err;
  }
  return srv;
}

// startServer + kill in the test's teardown (t is a node:test context).
export async function withServer(t, opts = {}) {
  const srv = await startServer(opts);
  t.after(() => srv.kill());
  return srv;
}

// Run the executable to completion (for CLI tests). Kills it after timeoutMs.
export function runToExit(args, { env = {}, timeoutMs = 5000 } = {}) {
  const childEnv = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete childEnv[k];
  const child = spawn(requireBin(), args, { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
  child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
  return new Promise((resolve) => {
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutMs);
    child.on('error', (e) => { clearTimeout(timer); live.delete(child); resolve({ code: null, signal: null, stdout, stderr: stderr + e.message, timedOut }); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      live.delete(child);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

// A TCP port that was free a moment ago (for tests that need a fixed port).
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Poll cond() every 20 ms until true; throw after timeoutMs.
export async function waitUntil(cond, timeoutMs, what = 'condition') {
  const t0 = Date.now();
  for (;;) {
    if (await cond()) return;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}
