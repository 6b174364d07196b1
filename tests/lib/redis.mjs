// A real redis-server for a test: its own free loopback port and temporary
// directory, no persistence unless asked, stopped by PID (and killed when the
// test process exits, as every child of tests/lib/fixture.mjs).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, track, waitUntil, canConnect } from './fixture.mjs';

export function redisBinary() {
  for (const p of [process.env.REDIS_SERVER, '/usr/bin/redis-server', '/usr/local/bin/redis-server']) {
    if (p && fs.existsSync(p)) return p;
  }
  throw new Error('redis-server not found: ./dev setup installs Debian\'s redis-server');
}

export class RedisServer {
  constructor({ port, dir, tls, password }) {
    this.port = port;
    this.dir = dir;
    this.tls = tls;            // {cert, key}: TLS only (rediss://), no plain port
    this.password = password;  // requirepass
    this.child = undefined;
    this.lines = [];
  }

  get url() {
    const auth = this.password ? `:${encodeURIComponent(this.password)}@` : '';
    return `${this.tls ? 'rediss' : 'redis'}://${auth}127.0.0.1:${this.port}`;
  }

  /** Starts (or starts again, on the same port: a restart that lost its data, as nothing is saved). */
  async start() {
    const listen = this.tls
      ? ['--port', '0', '--tls-port', String(this.port), '--tls-cert-file', this.tls.cert, '--tls-key-file', this.tls.key,
        '--tls-auth-clients', 'no']
      : ['--port', String(this.port)];
    const child = spawn(redisBinary(), [
      ...listen, '--bind', '127.0.0.1', '--dir', this.dir,
      '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--protected-mode', 'yes',
      '--logfile', '', ...(this.password ? ['--requirepass', this.password] : []),
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    track(child);
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', resolve));
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d) => this.lines.push(...d.split('\n').filter(Boolean)));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d) => this.lines.push(...d.split('\n').filter(Boolean)));
    await waitUntil(() => canConnect(this.port), 10000, `redis-server on port ${this.port}`);
    return this;
  }

  /** Stops it (SIGTERM, SIGKILL after 5 s) and waits for the exit. */
  async stop(signal = 'SIGTERM') {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill(signal);
    const timer = setTimeout(() => { try { this.child.kill('SIGKILL'); } catch { /* gone */ } }, 5000);
    await this.exited;
    clearTimeout(timer);
  }

  async cleanup() {
    await this.stop('SIGKILL');
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A redis-server of its own; { tls: {cert, key}, password } for rediss:// with requirepass. */
export async function startRedis({ tls, password } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'beastio-redis-'));
  const r = new RedisServer({ port: await freePort(), dir, tls, password });
  return r.start();
}
