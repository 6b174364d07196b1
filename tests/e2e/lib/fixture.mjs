// Shared fixture for the end-to-end tests: spawn the real server, wait for its
// "listening on" line, run helper processes with bounded time, always clean up.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The repository root (BEASTIO_SOURCE_DIR, or found from this file). */
export const SOURCE_DIR = path.resolve(process.env.BEASTIO_SOURCE_DIR || path.join(here, '..', '..', '..'));
export const CLIENTS_DIR = path.join(SOURCE_DIR, 'clients');

/** The server executable: BEASTIO_BIN, or the default build tree. */
export function serverBinary() {
  const bin = process.env.BEASTIO_BIN || path.join(SOURCE_DIR, 'build', 'server', 'beastio');
  if (!fs.existsSync(bin)) {
    throw new Error(`server binary not found at ${bin}: build it, or set BEASTIO_BIN`);
  }
  return bin;
}

/** Where screenshots and logs go: BEASTIO_ARTIFACT_DIR, or the working directory. */
export function artifactDir() {
  const dir = process.env.BEASTIO_ARTIFACT_DIR || process.cwd();
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

const live = new Set();
process.on('exit', () => {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
});

function track(child) {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Polls `probe` (sync or async) until it returns a truthy value; bounded. */
export async function waitFor(probe, { timeoutMs = 10000, intervalMs = 50, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${lastError.message}` : ''}`);
    }
    await sleep(intervalMs);
  }
}

/** Resolves with {code, signal} when the child exits, or null after timeoutMs. */
function waitExit(child, timeoutMs) {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

/**
 * Starts the server on 127.0.0.1. Options: port (0 = ephemeral, null = no
 * --port flag, e.g. to test the PORT variable), tickMs,
 * args (extra flags), env (extra variables), startTimeoutMs.
 * Returns { port, httpUrl, wsUrl, child, log(), stop() }.
 */
export async function startServer({ port = 0, tickMs = 20, args = [], env = {}, startTimeoutMs = 10000 } = {}) {
  const bin = serverBinary();
  const argv = ['--address', '127.0.0.1', ...(port === null ? [] : ['--port', String(port)]), '--tick-ms', String(tickMs), ...args];
  const child = track(spawn(bin, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } }));
  let output = '';
  const collect = (chunk) => {
    output += chunk.toString();
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);

  let listening;
  try {
    listening = await waitFor(
      () => {
        const m = output.match(/listening on (\S+):(\d+)/);
        if (m) return { address: m[1], port: Number(m[2]) };
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(`server exited early (${child.exitCode ?? child.signalCode})`);
        }
        return null;
      },
      { timeoutMs: startTimeoutMs, intervalMs: 20, what: '"listening on" from the server' },
    );
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${err.message}\n--- server output (${bin} ${argv.join(' ')}) ---\n${output}`);
  }

  const server = {
    port: listening.port,
    httpUrl: `http://127.0.0.1:${listening.port}`,
    wsUrl: `ws://127.0.0.1:${listening.port}`,
    child,
    log: () => output,
    /**
     * Sends `signal` (SIGTERM by default) and waits for the exit; SIGKILL
     * after timeoutMs. Returns {code, signal, killed}.
     */
    async stop({ signal = 'SIGTERM', timeoutMs = 5000 } = {}) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const result = await waitExit(child, timeoutMs);
      if (result) return { ...result, killed: false };
      child.kill('SIGKILL');
      const forced = await waitExit(child, 2000);
      return { ...(forced ?? { code: null, signal: 'SIGKILL' }), killed: true };
    },
  };
  return server;
}

/**
 * Runs a command to completion with a time limit. Resolves with
 * {code, signal, stdout, stderr, timedOut}; never rejects for a non-zero exit.
 */
export function run(command, args, { timeoutMs = 30000, cwd, env = {}, input } = {}) {
  return new Promise((resolve, reject) => {
    const child = track(spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] }));
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (c) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c) => {
      stderr += c.toString();
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
    child.stdin.end(input ?? '');
  });
}

/** Starts a long-running helper process and collects its output; bounded stop(). */
export function launch(command, args, { cwd, env = {} } = {}) {
  const child = track(spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
  let output = '';
  child.stdout.on('data', (c) => {
    output += c.toString();
  });
  child.stderr.on('data', (c) => {
    output += c.toString();
  });
  return {
    child,
    output: () => output,
    async stop({ signal = 'SIGTERM', timeoutMs = 5000 } = {}) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const result = await waitExit(child, timeoutMs);
      if (result) return result;
      child.kill('SIGKILL');
      return (await waitExit(child, 2000)) ?? { code: null, signal: 'SIGKILL' };
    },
  };
}

/** Imports a package installed in clients/node_modules (the pinned versions). */
export async function importFromClients(name) {
  const require = createRequire(path.join(CLIENTS_DIR, 'package.json'));
  const mod = await import(pathToFileURL(require.resolve(name)).href);
  // CommonJS packages may expose their API only as the default export.
  return mod.default && typeof mod.default === 'object' ? { ...mod.default, ...mod } : mod;
}

/** Connects a socket.io-client (websocket only) and collects `integer` events. */
export async function collectIntegers(url, { count = 5, timeoutMs = 10000, path: ioPath = '/socket.io/' } = {}) {
  const { io } = await importFromClients('socket.io-client');
  const socket = io(url, { path: ioPath, transports: ['websocket'], forceNew: true, reconnection: false, timeout: 5000 });
  const values = [];
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`received ${values.length} of ${count} integers within ${timeoutMs} ms`)),
        timeoutMs,
      );
      socket.on('connect_error', (err) => {
        clearTimeout(timer);
        reject(new Error(`connect_error: ${err.message}`));
      });
      socket.on('integer', (v) => {
        values.push(v);
        if (values.length >= count) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  } finally {
    socket.disconnect();
  }
  return values;
}

/** True when every value is the previous one plus one. */
export function consecutive(values) {
  return values.every((v, i) => i === 0 || v === values[i - 1] + 1);
}
