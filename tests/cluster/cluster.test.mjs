// Several beastio nodes on one real redis-server behave as one server: one
// producer, one gap-free integer sequence for the clients of every node,
// broadcasts and rooms across nodes, and the faults of docs/scaling.md
// (leader killed, leader paused past its lease, Redis down, Redis restarted
// without its data), each checked by what the clients saw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startRedis } from '../lib/redis.mjs';
import { request } from '../integration/lib/http.mjs';
import { io } from '../integration/lib/deps.mjs';
import {
  startNode, status, leaderOf, integerClient, plainClient, assertConsecutive, waitForCount, waitUntil,
} from './lib.mjs';

async function cluster(t, count, flags = {}) {
  const redis = await startRedis();
  t.after(() => redis.cleanup());
  const nodes = [];
  // The default adapter (streams), with connection state recovery on: its broadcasts reach every client in the stream's order.
  for (let i = 0; i < count; i++) nodes.push(await startNode(redis, { '--recovery-window-ms': 10000, ...flags }));
  t.after(() => Promise.all(nodes.map((n) => n.kill())));
  return { redis, nodes };
}

async function clientsOn(t, nodes, perNode = 2, { plain = true } = {}) {
  const clients = [];
  nodes.forEach((n, i) => {
    for (let k = 0; k < perNode; k++) clients.push(integerClient(n, `node${i}.sio${k}`));
    if (plain) clients.push(plainClient(n, `node${i}.plain`));
  });
  t.after(() => clients.forEach((c) => c.close()));
  await Promise.all(clients.map((c) => c.connected));
  return clients;
}

// Every client saw a consecutive run, and the runs agree where they overlap (they are one sequence).
function assertOneSequence(clients) {
  for (const c of clients) {
    assert.ok(c.values.length > 0, `${c.name} received nothing`);
    assertConsecutive(c);
  }
}

test('three nodes, one producer: every client of every node gets the same gap-free integers', async (t) => {
  const { nodes } = await cluster(t, 3);
  const leader = await leaderOf(nodes);
  const clients = await clientsOn(t, nodes);
  await waitForCount(clients, 30, 15000);
  assertOneSequence(clients);
  // The same integers: after the last one connected, everybody has every value.
  const start = Math.max(...clients.map((c) => c.values[0]));
  const end = Math.min(...clients.map((c) => c.values.at(-1)));
  assert.ok(end - start >= 20, `overlap ${start}..${end}`);
  for (const c of clients) assert.ok(c.values.includes(start) && c.values.includes(end), c.name);
  // Exactly one node produced; the others only delivered.
  const producers = nodes.filter((n) => n.lines.some((l) => /now produces the integers/.test(l)));
  assert.deepEqual(producers.map((n) => n.port), [leader.port]);
  const st = await status(nodes[1]);
  assert.equal(st.redis, 'up');
  assert.equal(st.adapter, 'streams');
  assert.match(st.stream.position, /^\d+-\d+$/);
  assert.match(st.node, /^[A-Za-z0-9]{6}$/);
});

test('integers are produced only while some node has a listener, and continue where they stopped', async (t) => {
  const { nodes } = await cluster(t, 2);
  const leader = await leaderOf(nodes);
  const follower = nodes.find((n) => n !== leader);
  // A listener on the follower only: the leader produces for it.
  const a = integerClient(follower, 'a');
  await a.connected;
  await waitForCount([a], 5, 10000);
  a.close();
  await waitUntil(async () => (await status(leader)).integers.leading && leader.lines.some((l) => /integer producer/.test(l)), 5000);
  // Nobody listens: the leader finds the cluster idle and the counter stops.
  await waitUntil(async () => {
    const s1 = (await status(leader)).integers.last;
    await new Promise((r) => setTimeout(r, 400));
    return (await status(leader)).integers.last === s1;
  }, 10000, 'the counter to stop');
  const stoppedAt = (await status(leader)).integers.last;
  const b = integerClient(follower, 'b');
  t.after(() => b.close());
  await b.connected;
  await waitForCount([b], 3, 10000);
  assert.equal(b.values[0], stoppedAt + 1, `b starts at ${b.values[0]}, the counter stopped at ${stoppedAt}`);
  assertConsecutive(b);
});

test('rooms and broadcasts reach the clients of every node', async (t) => {
  const { nodes } = await cluster(t, 2, { '--app': 'echo' });
  const [n0, n1] = nodes;
  const opts = { transports: ['websocket'], reconnection: false, forceNew: true };
  const a = io(n0.httpUrl, opts);
  const b = io(n1.httpUrl, opts);
  const c = io(n1.httpUrl, opts);
  t.after(() => [a, b, c].forEach((s) => s.close()));
  await Promise.all([a, b, c].map((s) => new Promise((r) => s.once('connect', r))));
  // b joins "r" on node 1; a (node 0) sends to the room: b gets it, c (not in the room) does not.
  assert.equal((await b.emitWithAck('join', 'r')), true);
  const got = new Promise((r) => b.once('room-message', (...args) => r(args)));
  let cGot = 0;
  c.on('room-message', () => { cGot++; });
  // The room's subscription reaches Redis a moment after the join: send until it arrives, once.
  let delivered;
  await waitUntil(async () => {
    await a.emitWithAck('to-room', 'r', 'hello', 42);
    delivered = await Promise.race([got, new Promise((r) => setTimeout(() => r(undefined), 300))]);
    return delivered !== undefined;
  }, 5000, 'the room message on node 1');
  // With recovery on, the stream entry's id comes last: the client's next offset.
  assert.deepEqual(delivered.slice(0, 2), ['hello', 42]);
  assert.match(delivered[2], /^\d+-\d+$/);
  // A broadcast to every socket of every namespace (the echo service's /api "shout"), binary included:
  // every client of both nodes.
  const apis = [n0, n1, n1].map((n) => io(`${n.httpUrl}/api`, opts));
  t.after(() => apis.forEach((s) => s.close()));
  await Promise.all(apis.map((s) => new Promise((r) => s.once('connect', r))));
  const all = [a, b, c, ...apis].map((s) => new Promise((r) => s.once('shout', (...args) => r(args))));
  await apis[0].emitWithAck('shout', { x: [1, 2.5, 'y'] }, Buffer.from([7, 8, 9]));
  for (const p of all) {
    const [obj, bin] = await p;
    assert.deepEqual(obj, { x: [1, 2.5, 'y'] });
    assert.deepEqual([...bin], [7, 8, 9]);
  }
  assert.equal(cGot, 0, 'a client outside the room got the room message');
});

test('leader killed (SIGKILL): another node takes over within the lease, no repeat, no skip', async (t) => {
  const { nodes } = await cluster(t, 3);
  const leader = await leaderOf(nodes);
  const survivors = nodes.filter((n) => n !== leader);
  const clients = await clientsOn(t, survivors);
  await waitForCount(clients, 10, 10000);
  const before = clients.map((c) => c.values.length);
  const killedAt = Date.now();
  await leader.stop({ signal: 'SIGKILL' });
  await waitForCount(clients, 20, 15000, (c) => before[clients.indexOf(c)]);
  assertOneSequence(clients);
  // The pause the clients saw: at most the lease (1000 ms) plus a tick, with room for a loaded machine.
  const c0 = clients[0];
  const firstAfter = c0.times.findIndex((tm) => tm > killedAt);
  const gapMs = c0.times[firstAfter] - killedAt;
  assert.ok(gapMs < 1000 + 50 + 1500, `the integers paused ${gapMs} ms`);
  const newLeader = await leaderOf(survivors);
  assert.ok(newLeader.lines.some((l) => /now produces the integers/.test(l)));
});

test('leader paused (SIGSTOP) past its lease: it is fenced off, nobody sees a value twice', async (t) => {
  const { nodes } = await cluster(t, 3);
  const leader = await leaderOf(nodes);
  const clients = await clientsOn(t, nodes, 1);
  await waitForCount(clients, 10, 10000);
  leader.child.kill('SIGSTOP');
  const others = nodes.filter((n) => n !== leader);
  try {
    const before = clients.map((c) => c.values.length);
    const survivorsClients = clients.filter((c) => c.node !== leader);
    await waitForCount(survivorsClients, 10, 15000, (c) => before[clients.indexOf(c)]);
    await leaderOf(others);
  } finally {
    leader.child.kill('SIGCONT');
  }
  // The old leader wakes up, finds the lease gone (its publish is refused) and delivers what it missed.
  await leader.waitForLog(/stops producing the integers/, 10000);
  const mark = clients.map((c) => c.values.length);
  await waitForCount(clients, 10, 15000, (c) => mark[clients.indexOf(c)]);
  assertOneSequence(clients);
  const leading = [];
  for (const n of nodes) if ((await status(n)).integers.leading) leading.push(n.port);
  assert.equal(leading.length, 1, `leading: ${leading}`);
});

test('Redis down for 10 s: nodes keep their clients, /cache-healthcheck stays 200, /status says down, the integers pause; back without its data, the sequence continues', async (t) => {
  const { redis, nodes } = await cluster(t, 2);
  await leaderOf(nodes);
  const clients = await clientsOn(t, nodes, 1);
  await waitForCount(clients, 10, 10000);
  const downAt = Date.now();
  await redis.stop('SIGKILL');
  await waitUntil(async () => (await status(nodes[0])).redis === 'down', 5000, '/status to say redis down');
  await waitUntil(async () => (await status(nodes[1])).redis === 'down', 5000, '/status to say redis down');
  const paused = clients.map((c) => c.values.length);
  const health = await request({ port: nodes[0].port, path: '/cache-healthcheck' });
  assert.equal(health.status, 200);
  const st = await status(nodes[1]);
  assert.equal(st.redis, 'down');
  assert.ok(Date.parse(st.redis_since) > 0);
  const highest = Math.max(...clients.map((c) => c.values.at(-1)));
  // The outage lasts 10 s (its length is the scenario, not a synchronisation): nothing is produced meanwhile.
  await new Promise((r) => setTimeout(r, Math.max(0, downAt + 10000 - Date.now())));
  assert.deepEqual(clients.map((c) => c.values.length), paused, 'integers arrived while Redis was down');
  assert.equal((await request({ port: nodes[1].port, path: '/cache-healthcheck' })).status, 200);
  // Redis comes back empty (nothing was saved): the counter must not start again at 1.
  await redis.start();
  const mark = clients.map((c) => c.values.length);
  await waitForCount(clients, 10, 20000, (c) => mark[clients.indexOf(c)]);
  assertOneSequence(clients);
  for (const c of clients) assert.ok(c.socket?.connected ?? true, `${c.name} lost its connection`);
  for (const c of clients) assert.ok(c.values.at(-1) > highest, `${c.name} ends at ${c.values.at(-1)}`);
});

// A certificate for 127.0.0.1 (and a second one, from another "CA", that must not be trusted).
function certs(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'beastio-redis-tls-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const make = (name) => {
    const cert = path.join(dir, `${name}.pem`);
    const key = path.join(dir, `${name}.key`);
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
    { stdio: 'ignore' });
    return { cert, key };
  };
  return { server: make('server'), other: make('other') };
}

test('Redis over TLS with a password (rediss://:pass@host): one sequence; an untrusted certificate is refused with a log line', async (t) => {
  const { server, other } = certs(t);
  const redis = await startRedis({ tls: server, password: 'p@ss word' });
  t.after(() => redis.cleanup());
  assert.match(redis.url, /^rediss:\/\/:p%40ss%20word@127\.0\.0\.1:\d+$/);
  const nodes = [await startNode(redis, { '--redis-ca-file': server.cert }), await startNode(redis, { '--redis-ca-file': server.cert })];
  t.after(() => Promise.all(nodes.map((n) => n.kill())));
  await leaderOf(nodes);
  const clients = await clientsOn(t, nodes, 1, { plain: false });
  await waitForCount(clients, 10, 15000);
  assertOneSequence(clients);
  const st = await status(nodes[0]);
  assert.equal(st.redis, 'up');
  assert.equal(st.redis_url.includes('p@ss'), false, `the password shows in /status: ${st.redis_url}`);
  // A node that trusts another CA never connects, says why, and still serves its own clients.
  const stranger = await startNode(redis, { '--redis-ca-file': other.cert });
  t.after(() => stranger.kill());
  await stranger.waitForLog(/redis beastio-\w+-cmd: cannot connect .*(certificate|verify)/i, 10000);
  assert.equal((await status(stranger)).redis, 'down');
});
