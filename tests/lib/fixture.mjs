// The one way every node test and the benchmark start a server: spawn it
// (beastio by default, any command for the reference servers), wait until it
// listens, keep its log lines, stop it by PID, and kill whatever is left when
// the test process exits. Integration tests add their short timers on top
// (tests/integration/lib/server.mjs), end-to-end tests their helpers
// (tests/e2e/lib/fixture.mjs); the benchmark pins servers to a core.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The repository root (BEASTIO_SOURCE_DIR, or found from this file). */
export const SOURCE_DIR = path.resolve(process.env.BEASTIO_SOURCE_DIR || path.join(here, '..', '..'));

/** The beastio executable: BEASTIO_BIN, or the default build tree's. */
export function beastioBinary() {
  const bin = process.env.BEASTIO_BIN || path.join(SOURCE_DIR, 'build', 'beastio');
  if (!fs.existsSync(bin)) throw new Error(`server binary not found at ${bin}: run ./dev build, or set BEASTIO_BIN`);
  return bin;
}

// The chat example's server (examples/chat): beastio's flags and log lines.
export function chatBinary() {
  const bin = process.env.BEASTIO_CHAT_BIN || path.join(SOURCE_DIR, 'build', 'beastio-chat');
  if (!fs.existsSync(bin)) throw new Error(`chat binary not found at ${bin}: run ./dev build, or set BEASTIO_CHAT_BIN`);
  return bin;
}

// Set by the asan/tsan ctest entries: the binary is a sanitizer build.
export const SANITIZED = Boolean(process.env.BEASTIO_SANITIZER);
const SANITIZER_REPORT = /ERROR: (Address|Leak)Sanitizer|WARNING: ThreadSanitizer|runtime error:|SUMMARY: \w+Sanitizer/;

// Every child dies with the test process, whatever happens.
const live = new Set();
process.on('exit', () => {
  for (const child of live) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }
});

/** Registers a child so that it is killed when this process exits. */
export function track(child) {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls cond() (sync or async) every 20 ms until it is true; throws after timeoutMs. */
export async function waitUntil(cond, timeoutMs, what = 'condition') {
  const t0 = Date.now();
  for (;;) {
    if (await cond()) return;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago (for a fixed port across restarts). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** True when something accepts connections on 127.0.0.1:port. */
export function canConnect(port) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    sock.once('connect', () => { sock.destroy(); resolve(true); });
    sock.once('error', () => resolve(false));
  });
}

const CLK_TCK = 100;

export class ServerProcess {
  constructor(child, argv, { sanitized = false } = {}) {
    this.child = child;
    this.argv = argv;
    this.sanitized = sanitized;
    this.lines = [];          // every stderr line, in order
    this.stdoutLines = [];
    this.port = undefined;
    this.address = undefined;
    this.exit = undefined;    // {code, signal} once exited
    this._logWaiters = new Set();
    this._exitPromise = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
        for (const w of this._logWaiters) w.onExit();
      });
    });
    this._split(child.stderr, this.lines);
    this._split(child.stdout, this.stdoutLines);
  }

  _split(stream, sink) {
    let buf = '';
    stream.setEncoding('utf8');
    const push = (line) => {
      sink.push(line);
      if (process.env.BEASTIO_TEST_VERBOSE) process.stderr.write(`[server] ${line}\n`);
      for (const w of this._logWaiters) w.onLine(line);
    };
    stream.on('data', (chunk) => {
      buf += chunk;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).replace(/\r$/, '');
        buf = buf.slice(i + 1);
        push(line);
      }
    });
    stream.on('end', () => { if (buf) { push(buf); buf = ''; } });
  }

  get pid() { return this.child.pid; }
  get wsUrl() { return `ws://127.0.0.1:${this.port}`; }
  get httpUrl() { return `http://127.0.0.1:${this.port}`; }
  /** True while the process has not exited. */
  get alive() { return this.exit === undefined; }

  /** Everything the server wrote, stderr then stdout. */
  log() { return [...this.lines, ...this.stdoutLines].join('\n'); }

  /** Resident memory in KiB (Linux /proc). */
  rssKiB() {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${this.pid}/status`, 'utf8'));
    if (!m) throw new Error('no VmRSS in /proc status');
    return Number(m[1]);
  }

  /** CPU seconds used so far (all threads), user and system apart. */
  cpuSeconds() {
    const stat = fs.readFileSync(`/proc/${this.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { user: Number(fields[11]) / CLK_TCK, sys: Number(fields[12]) / CLK_TCK };
  }

  /**
   * Resolves with the first log line (already seen at index >= from, or to
   * come) that matches re; rejects after timeoutMs or when the process exits.
   */
  waitForLog(re, timeoutMs = 5000, { from = 0 } = {}) {
    for (let i = from; i < this.lines.length; i++) if (re.test(this.lines[i])) return Promise.resolve(this.lines[i]);
    for (const line of this.stdoutLines) if (re.test(line)) return Promise.resolve(line);
    return new Promise((resolve, reject) => {
      const w = {
        onLine: (line) => { if (re.test(line)) { done(); resolve(line); } },
        onExit: () => { done(); reject(new Error(`server exited (${JSON.stringify(this.exit)}) before a log line matched ${re}; log:\n${this.log()}`)); },
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no log line matched ${re} within ${timeoutMs} ms; log:\n${this.log()}`));
      }, timeoutMs);
      const done = () => { clearTimeout(timer); this._logWaiters.delete(w); };
      this._logWaiters.add(w);
      if (this.exit) w.onExit();
    });
  }

  /** Resolves with {code, signal} at the exit; rejects after timeoutMs. */
  waitExit(timeoutMs = 5000) {
    if (this.exit) return Promise.resolve(this.exit);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not exit within ${timeoutMs} ms`)), timeoutMs);
      this._exitPromise.then((e) => { clearTimeout(timer); resolve(e); });
    });
  }

  /**
   * Sends `signal` and waits for the exit; SIGKILL after timeoutMs. Resolves
   * with {code, signal, elapsedMs, killed} (killed: it had to be SIGKILLed).
   */
  async stop({ signal = 'SIGTERM', timeoutMs = 5000 } = {}) {
    if (this.exit) return { ...this.exit, elapsedMs: 0, killed: false };
    const t0 = Date.now();
    try { this.child.kill(signal); } catch { /* gone */ }
    try {
      const e = await this.waitExit(timeoutMs);
      return { ...e, elapsedMs: Date.now() - t0, killed: false };
    } catch {
      try { this.child.kill('SIGKILL'); } catch { /* gone */ }
      const e = await this.waitExit(5000).catch(() => ({ code: null, signal: 'SIGKILL' }));
      return { ...e, elapsedMs: Date.now() - t0, killed: true };
    }
  }

  /**
   * Teardown: SIGKILL if still running. A sanitizer build is stopped with
   * SIGTERM instead (so LeakSanitizer runs at its exit), and a sanitizer
   * report in its log fails the test.
   */
  async kill() {
    if (this.sanitized) {
      await this.stop({ signal: 'SIGTERM', timeoutMs: 20000 });
      const first = this.lines.findIndex((l) => SANITIZER_REPORT.test(l));
      if (first >= 0) throw new Error(`sanitizer report from the server:\n${this.lines.slice(first).join('\n')}`);
      return this.exit;
    }
    if (this.exit) return this.exit;
    try { this.child.kill('SIGKILL'); } catch { /* gone */ }
    try { return await this.waitExit(5000); } catch { return undefined; }
  }
}

// Flags as an object ({'--app': 'echo'}; null removes a default) and raw args, merged.
function flagArgs({ address, port, defaults, flags, args, beastio }) {
  const merged = new Map();
  if (address !== undefined && address !== null) merged.set('--address', String(address));
  if (port !== undefined && port !== null) merged.set('--port', String(port));
  for (const [k, v] of Object.entries(defaults ?? {})) merged.set(k, String(v));
  for (const [k, v] of Object.entries(flags ?? {})) {
    if (v === null || v === undefined) merged.delete(k);
    else merged.set(k, String(v));
  }
  const out = [];
  for (const [k, v] of merged) out.push(k, v);
  out.push(...(args ?? []));
  if (beastio) {
    // The sanitizer runs add flags to every server (e.g. --threads 4 under TSan).
    const extra = (process.env.BEASTIO_EXTRA_ARGS ?? '').split(' ').filter(Boolean);
    for (let i = 0; i + 1 < extra.length; i += 2) if (!merged.has(extra[i])) out.push(extra[i], extra[i + 1]);
  }
  return out;
}

/**
 * Starts a server and resolves once it listens.
 *
 * beastio (the default): flags {'--app': 'echo', ...} merged over `defaults`,
 * extra `args`, `address` ('127.0.0.1'; null: no --address) and `port` (0:
 * ephemeral; null: no --port, e.g. to test PORT); ready when its "listening on
 * <address>:<port>" line appears, which also gives the port.
 *
 * Another server: `command` is its argv (flags and args are appended) and
 * `port` the one it was told to use; ready when `ready` (a RegExp) matches a
 * log line, or, without one, when the port accepts a connection.
 *
 * `binary`: another executable built on the library (beastio's flags and
 * "listening" line), started the same way.
 *
 * Both: env (extra variables; undefined removes one), timeoutMs, cpu (pin to
 * that core with taskset, which execs the program so the pid is the server's),
 * maxOpenFiles (run under that open-file limit, through prlimit, same pid).
 */
export async function startServer(opts = {}) {
  const {
    command, binary, flags = {}, defaults = {}, args = [], address = command ? null : '127.0.0.1', port = command ? null : 0,
    env = {}, timeoutMs = 10000, cpu, maxOpenFiles, ready,
  } = opts;
  const beastio = !command;
  const program = beastio ? [binary ?? beastioBinary()] : command;
  const argv = [...program, ...flagArgs({ address, port: beastio ? port : null, defaults, flags, args, beastio })];
  let wrapped = argv;
  if (maxOpenFiles) wrapped = ['prlimit', `--nofile=${maxOpenFiles}:${maxOpenFiles}`, '--', ...wrapped];
  if (cpu !== undefined && cpu !== null) wrapped = ['taskset', '-c', String(cpu), ...wrapped];
  const childEnv = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete childEnv[k];
  const child = track(spawn(wrapped[0], wrapped.slice(1), { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] }));
  const srv = new ServerProcess(child, argv, { sanitized: beastio && SANITIZED });
  const spawnError = new Promise((_, reject) => child.on('error', (e) => reject(new Error(`cannot spawn ${wrapped[0]}: ${e.message}`))));
  spawnError.catch(() => {});
  try {
    if (beastio && !ready) {
      const line = await Promise.race([srv.waitForLog(/listening on /, timeoutMs), spawnError]);
      const m = /listening on (\S+):(\d+)/.exec(line);
      if (!m || !(Number(m[2]) > 0)) throw new Error(`cannot read the port from the listening line: ${line}`);
      srv.address = m[1].replace(/^\[|\]$/g, '');
      srv.port = Number(m[2]);
    } else {
      srv.port = port;
      srv.address = '127.0.0.1';
      if (ready) await Promise.race([srv.waitForLog(ready, timeoutMs), spawnError]);
      else {
        await Promise.race([spawnError, waitUntil(async () => {
          if (!srv.alive) throw new Error(`${argv[0]} exited early (${JSON.stringify(srv.exit)}): ${srv.log()}`);
          return canConnect(port);
        }, timeoutMs, `${argv[0]} listening on ${port}`)]);
      }
    }
  } catch (err) {
    await srv.kill().catch(() => {});
    throw new Error(`${err.message}\n--- server output (${argv.join(' ')}) ---\n${srv.log()}`);
  }
  return srv;
}

/** startServer, and kill in the test's teardown (t: a node:test context). */
export async function withServer(t, opts = {}) {
  const srv = await startServer(opts);
  t.after(() => srv.kill());
  return srv;
}

/**
 * Runs a command to completion with a time limit (beastio when command is
 * omitted). Resolves with {code, signal, stdout, stderr, timedOut}; never
 * rejects for a non-zero exit.
 */
export function runToExit(args, { command, env = {}, timeoutMs = 5000, cwd, input } = {}) {
  const childEnv = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete childEnv[k];
  const program = command ?? beastioBinary();
  const child = track(spawn(program, args, { cwd, env: childEnv, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] }));
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
  child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
  if (input !== undefined) child.stdin.end(input);
  return new Promise((resolve) => {
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutMs);
    child.on('error', (e) => { clearTimeout(timer); resolve({ code: null, signal: null, stdout, stderr: stderr + e.message, timedOut }); });
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr, timedOut }); });
  });
}
