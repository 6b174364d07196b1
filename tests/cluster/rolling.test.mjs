// A rolling deploy, as a platform does it: three beastio nodes behind nginx
// round-robin (no stickiness: each reconnection may land on any node), 100
// clients connected, and every node restarted in turn (SIGTERM, then started
// again on its port). The clients reconnect by themselves; with the streams
// adapter and recovery on, each resumes its session wherever it lands, and
// every client's integers stay gap-free and duplicate-free throughout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, freePort, SOURCE_DIR, SANITIZED } from '../lib/fixture.mjs';
import { startRedis } from '../lib/redis.mjs';
import { io } from '../integration/lib/deps.mjs';
import { startNode, leaderOf, assertConsecutive, waitUntil } from './lib.mjs';

const NGINX = '/usr/sbin/nginx';
const CLIENTS = SANITIZED ? 30 : 100;  // the sanitizer builds are several times slower
const flags = { '--redis-adapter': 'streams', '--recovery-window-ms': 30000 };

// nginx with the shipped snippet (clients/deploy/nginx-beastio.conf), its upstream made of the nodes.
async function nginxBefore(t, ports) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'beastio-rolling-'));
  t.after(() => { if (!process.env.BEASTIO_KEEP_TMP) fs.rmSync(tmp, { recursive: true, force: true }); });
  const port = await freePort();
  let site = fs.readFileSync(path.join(SOURCE_DIR, 'clients', 'deploy', 'nginx-beastio.conf'), 'utf8');
  // Several nodes, as docs/scaling.md shows them: max_fails=0, so a node that refused a connection while it
  // restarted is tried again at once (nginx's default would leave it out for 10 s, and with every node
  // restarted in turn, all of them at once: "no live upstreams").
  site = site.replace('server 127.0.0.1:3000;', ports.map((p) => `server 127.0.0.1:${p} max_fails=0;`).join('\n    '));
  site = site.replace('listen 80;', `listen 127.0.0.1:${port};`);
  fs.writeFileSync(path.join(tmp, 'beastio.conf'), site);
  fs.writeFileSync(path.join(tmp, 'nginx.conf'), [
    process.getuid && process.getuid() === 0 ? 'user root;' : '',
    'worker_processes 1;',
    'events { worker_connections 1024; }',
    'http {',
    `    access_log off;`,
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((p) => `    ${p}_temp_path ${tmp}/${p};`),
    `    include ${tmp}/beastio.conf;`,
    '}',
    '',
  ].join('\n'));
  const nginx = await startServer({
    command: [NGINX, '-p', tmp, '-c', path.join(tmp, 'nginx.conf'), '-e', `${tmp}/error.log`,
      '-g', `daemon off; pid ${tmp}/nginx.pid; error_log ${tmp}/error.log;`],
    port,
  });
  t.after(() => nginx.stop({ signal: 'SIGQUIT' }));
  return nginx;
}

test(`a rolling restart behind nginx round-robin: ${CLIENTS} clients, every node restarted in turn, no gap, no repeat`, { timeout: 240000 }, async (t) => {
  const redis = await startRedis();
  t.after(() => redis.cleanup());
  const ports = [await freePort(), await freePort(), await freePort()];
  const nodes = [];
  for (const port of ports) nodes.push(await startNode(redis, flags, { port }));
  t.after(() => Promise.all(nodes.map((n) => n.kill())));
  await leaderOf(nodes);
  const nginx = await nginxBefore(t, ports);

  const clients = [];
  for (let i = 0; i < CLIENTS; i++) {
    const c = { name: `c${i}`, values: [], connects: [] };
    c.socket = io(nginx.httpUrl, { transports: ['websocket'], forceNew: true, reconnectionDelay: 200, reconnectionDelayMax: 1000 });
    c.socket.on('integer', (n) => c.values.push(n));
    c.socket.on('connect', () => c.connects.push(c.socket.recovered));
    clients.push(c);
  }
  t.after(() => clients.forEach((c) => c.socket.close()));
  const progressed = (n, what) => {
    const from = clients.map((c) => c.values.length);
    return waitUntil(() => clients.every((c, i) => c.socket.connected && c.values.length >= from[i] + n), 60000,
      `${what}: every client connected with ${n} more integers (${clients.filter((c) => !c.socket.connected).length} not connected)`);
  };
  await progressed(5, 'at the start');

  for (let i = 0; i < nodes.length; i++) {
    const before = clients.reduce((sum, c) => sum + c.connects.length, 0);
    const stopped = await nodes[i].stop({ signal: 'SIGTERM', timeoutMs: 20000 });
    assert.equal(stopped.killed, false, `node ${i} did not stop on SIGTERM`);
    // Its clients came back on the other nodes (and nobody else moved without a reason).
    await waitUntil(() => clients.reduce((sum, c) => sum + c.connects.length, 0) > before, 30000, `clients of node ${i} back`);
    await progressed(5, `node ${i} stopped`);
    nodes[i] = await startNode(redis, flags, { port: ports[i] });
    await progressed(5, `node ${i} started again`);
  }
  for (const c of clients) assertConsecutive(c);
  const moved = clients.filter((c) => c.connects.length > 1);
  assert.ok(moved.length >= CLIENTS / 2, `only ${moved.length} clients were moved by the restarts`);
  // Every reconnection resumed its session: the same socket, and the integers it missed.
  const fresh = clients.filter((c) => c.connects.slice(1).some((r) => !r));
  assert.deepEqual(fresh.map((c) => c.name), [], 'clients whose session was not resumed');
});
