// The end-to-end tests' helpers on top of the shared fixture
// (tests/lib/fixture.mjs, which starts every server): helper processes
// with bounded time, the pinned npm packages, integer collection.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import * as fixture from '../../lib/fixture.mjs';

export { SOURCE_DIR, freePort, sleep } from '../../lib/fixture.mjs';
const { SOURCE_DIR, track } = fixture;
export const CLIENTS_DIR = path.join(SOURCE_DIR, 'clients');

/** Where screenshots and logs go: BEASTIO_ARTIFACT_DIR, or the working directory. */
export function artifactDir() {
  const dir = process.env.BEASTIO_ARTIFACT_DIR || process.cwd();
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** Polls `probe` (sync or async) until it returns a truthy value, which it resolves with; bounded. */
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
    await fixture.sleep(intervalMs);
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
 * Starts beastio on 127.0.0.1 (the shared fixture's ServerProcess). Options:
 * port (0 = ephemeral, null = no --port flag, e.g. to test the PORT
 * variable), tickMs, args (extra flags), env (extra variables), startTimeoutMs.
 */
export function startServer({ port = 0, tickMs = 20, args = [], env = {}, startTimeoutMs = 10000 } = {}) {
  return fixture.startServer({ port, flags: { '--tick-ms': tickMs }, args, env, timeoutMs: startTimeoutMs });
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
