// The streams adapter (--redis-adapter streams, the default):
// @socket.io/redis-streams-adapter's protocol, so beastio nodes and a Node
// socket.io node with that adapter form one cluster, and a client cut by a
// deploy, a crash or the network resumes its session on another node with
// nothing missing and nothing twice (connection state recovery across nodes).
// Versions: clients/package-lock.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, freePort } from '../lib/fixture.mjs';
import { startRedis } from '../lib/redis.mjs';
import { startProxy } from '../lib/proxy.mjs';
import { io } from '../integration/lib/deps.mjs';
import { startNode, status, leaderOf, integerClient, assertConsecutive, waitForCount, waitUntil } from './lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const WINDOW = 30000;
const streams = { '--redis-adapter': 'streams', '--recovery-window-ms': WINDOW };

async function redisFor(t) {
  const redis = await startRedis();
  t.after(() => redis.cleanup());
  return redis;
}

async function beastioNode(t, redis, flags = {}) {
  const n = await startNode(redis, { ...streams, ...flags });
  t.after(() => n.kill());
  return n;
}

async function nodeNode(t, redis) {
  const port = await freePort();
  const srv = await startServer({
    command: [process.execPath, path.join(here, 'node-server.mjs'), '--port', String(port), '--redis', redis.url,
      '--adapter', 'streams', '--recovery-window-ms', String(WINDOW)],
    port, ready: /node socket\.io listening/,
  });
  t.after(() => srv.kill());
  return srv;
}

// A socket.io-client that reconnects by itself (through a proxy the test moves
// between nodes) and records its integers and whether each connection recovered.
function movingClient(t, proxy, name) {
  const c = { name, values: [], connects: [] };
  c.socket = io(`http://127.0.0.1:${proxy.port}`, {
    transports: ['websocket'], forceNew: true, reconnectionDelay: 100, reconnectionDelayMax: 300,
  });
  c.socket.on('integer', (n) => c.values.push(n));
  c.socket.on('connect', () => c.connects.push({ recovered: c.socket.recovered, id: c.socket.id }));
  t.after(() => c.socket.close());
  c.connected = (n) => waitUntil(() => c.connects.length >= n, 15000, `${name}: connection ${n}`);
  return c;
}

const more = (c, n) => {
  const from = c.values.length;
  return waitUntil(() => c.values.length >= from + n, 15000, `${c.name}: ${n} more integers (has ${c.values.length})`);
};

test('three beastio nodes and a Node socket.io node on the streams adapter: the same gap-free integers', async (t) => {
  const redis = await redisFor(t);
  const nodes = [await beastioNode(t, redis), await beastioNode(t, redis), await beastioNode(t, redis)];
  const node = await nodeNode(t, redis);
  await leaderOf(nodes);
  const clients = nodes.map((n, i) => integerClient(n, `beastio${i}`));
  clients.push(integerClient(node, 'node'));
  t.after(() => clients.forEach((c) => c.close()));
  await Promise.all(clients.map((c) => c.connected));
  await waitForCount(clients, 30, 20000);
  for (const c of clients) assertConsecutive(c);
  const start = Math.max(...clients.map((c) => c.values[0]));
  const end = Math.min(...clients.map((c) => c.values.at(-1)));
  assert.ok(end - start >= 20, `overlap ${start}..${end}`);
  for (const c of clients) assert.ok(c.values.includes(start) && c.values.includes(end), c.name);
  const st = await status(nodes[0]);
  assert.equal(st.adapter, 'streams');
  assert.ok(st.stream.read > 0, 'the stream reader read nothing');
});

test('a client cut on one node resumes on another: recovered, nothing missing, nothing twice', async (t) => {
  const redis = await redisFor(t);
  const [a, b] = [await beastioNode(t, redis), await beastioNode(t, redis)];
  const proxy = await startProxy(a.port);
  t.after(() => proxy.close());
  const c = movingClient(t, proxy, 'mover');
  await c.connected(1);
  await more(c, 10);
  const sid = c.socket.id;
  // The load balancer sends the next connection to b; this one dies.
  proxy.retarget(b.port);
  proxy.cut();
  await c.connected(2);
  await more(c, 10);
  assert.deepEqual(c.connects.map((x) => x.recovered), [false, true]);
  assert.equal(c.connects[1].id, sid, 'a recovered socket keeps its id');
  assertConsecutive(c);
  // And back to a, a second time.
  proxy.retarget(a.port);
  proxy.cut();
  await c.connected(3);
  await more(c, 10);
  assert.equal(c.connects[2].recovered, true);
  assertConsecutive(c);
});

test('a node killed with SIGKILL: its clients resume on another node (their sessions were in Redis already)', async (t) => {
  const redis = await redisFor(t);
  const [a, b] = [await beastioNode(t, redis), await beastioNode(t, redis)];
  const proxy = await startProxy(a.port);
  t.after(() => proxy.close());
  const movers = [movingClient(t, proxy, 'm0'), movingClient(t, proxy, 'm1')];
  await Promise.all(movers.map((c) => c.connected(1)));
  await Promise.all(movers.map((c) => more(c, 10)));
  proxy.retarget(b.port);
  await a.stop({ signal: 'SIGKILL' });
  await Promise.all(movers.map((c) => c.connected(2)));
  await Promise.all(movers.map((c) => more(c, 10)));
  for (const c of movers) {
    assert.deepEqual(c.connects.map((x) => x.recovered), [false, true], c.name);
    assertConsecutive(c);
  }
});

test('a long-lived client: its session is written again while it lives, so a crash long after it connected still recovers', async (t) => {
  const redis = await redisFor(t);
  // A 2 s window: the session is refreshed every second and lives 4 s past its last write.
  const short = { '--recovery-window-ms': 2000 };
  const [a, b] = [await beastioNode(t, redis, short), await beastioNode(t, redis, short)];
  const proxy = await startProxy(a.port);
  t.after(() => proxy.close());
  const c = movingClient(t, proxy, 'long-lived');
  await c.connected(1);
  // Connected for 6 s, past the first write's time to live (the scenario's length, not a synchronisation).
  await new Promise((r) => setTimeout(r, 6000));
  proxy.retarget(b.port);
  await a.stop({ signal: 'SIGKILL' });
  await c.connected(2);
  await more(c, 10);
  assert.deepEqual(c.connects.map((x) => x.recovered), [false, true]);
  assertConsecutive(c);
});

test('a half-open connection on one node: the session resumes on another, and the old node lets it go', async (t) => {
  const redis = await redisFor(t);
  const [a, b] = [await beastioNode(t, redis), await beastioNode(t, redis)];
  const proxy = await startProxy(a.port);
  t.after(() => proxy.close());
  const c = movingClient(t, proxy, 'mover');
  await c.connected(1);
  await more(c, 5);
  const sid = c.socket.id;
  proxy.retarget(b.port);
  proxy.halfOpen();  // a still holds the connection, silent
  await c.connected(2);
  assert.equal(c.connects[1].recovered, true);
  // a hears that b resumed it, and closes its stale socket without writing the session back.
  await waitUntil(() => a.lines.some((l) => l.includes(`sid=${sid}`) && /session resumed on node/.test(l)), 8000,
    'the old node closing the stale socket');
  await more(c, 10);
  assertConsecutive(c);
});

test('sessions move between a Node socket.io node and beastio, both ways', async (t) => {
  const redis = await redisFor(t);
  const beastio = await beastioNode(t, redis);
  const node = await nodeNode(t, redis);
  await leaderOf([beastio]);
  // A Node node reports no listeners to the producer (docs/scaling.md): a client of beastio's keeps it ticking.
  const keeper = integerClient(beastio, 'keeper');
  t.after(() => keeper.close());
  await keeper.connected;
  const proxy = await startProxy(node.port);
  t.after(() => proxy.close());
  const c = movingClient(t, proxy, 'mover');
  await c.connected(1);
  await more(c, 10);
  proxy.retarget(beastio.port);
  proxy.cut();
  await c.connected(2);
  await more(c, 10);
  proxy.retarget(node.port);
  proxy.cut();
  await c.connected(3);
  await more(c, 10);
  assert.deepEqual(c.connects.map((x) => x.recovered), [false, true, true]);
  assertConsecutive(c);
});

test('rooms, fetches and server-side events between beastio and a Node node on the streams adapter', async (t) => {
  const redis = await redisFor(t);
  const beastio = await beastioNode(t, redis, { '--app': 'echo' });
  const node = await nodeNode(t, redis);
  const opts = { transports: ['websocket'], reconnection: false, forceNew: true };
  const connect = (url) => {
    const s = io(url, opts);
    t.after(() => s.close());
    return new Promise((resolve, reject) => { s.once('connect', () => resolve(s)); s.once('connect_error', reject); });
  };
  const [b, n] = await Promise.all([connect(beastio.httpUrl), connect(node.httpUrl)]);
  assert.equal(await n.emitWithAck('join', 'r'), true);
  assert.equal(await b.emitWithAck('join', 's'), true);
  const atNode = new Promise((r) => n.once('room-message', (...a) => r(a)));
  await b.emitWithAck('to-room', 'r', 'from beastio', Buffer.from([1, 2]));
  const got = await atNode;
  assert.equal(got[0], 'from beastio');
  assert.deepEqual([...got[1]], [1, 2]);
  const atBeastio = new Promise((r) => b.once('room-message', (...a) => r(a)));
  await n.emitWithAck('to-room', 's', 'from node', { x: 1.5 });
  assert.deepEqual((await atBeastio).slice(0, 2), ['from node', { x: 1.5 }]);
  // The Node node's fetchSockets (FETCH_SOCKETS over pub/sub) gets beastio's socket with its rooms.
  const all = await n.emitWithAck('fetch');
  assert.ok(all.some((s) => s.id === b.id && s.rooms.includes('s')), JSON.stringify(all));
  // beastio's fetch across nodes gets the Node node's.
  const [bapi, napi] = await Promise.all([connect(`${beastio.httpUrl}/api`), connect(`${node.httpUrl}/api`)]);
  assert.equal(await napi.emitWithAck('join', 'den'), true);
  const found = await bapi.emitWithAck('fetch-all', { rooms: ['den'] });
  assert.deepEqual(found.map((s) => s.id), [napi.id]);
  const rooms = await bapi.emitWithAck('all-rooms');
  assert.ok(rooms.includes('den') && rooms.includes(bapi.id), `all rooms: ${rooms}`);
  const sse = new Promise((r) => napi.once('server-side', (...a) => r(a)));
  assert.equal(await bapi.emitWithAck('server-emit', 'hello', 1), true);
  assert.deepEqual(await sse, ['hello', 1]);
  const back = new Promise((r) => bapi.once('server-side', (...a) => r(a)));
  assert.equal(await napi.emitWithAck('server-emit', 'hi', 'x'), true);
  assert.deepEqual(await back, ['hi', 'x']);
  // Server-side events with acks both ways: each other node answers once.
  assert.deepEqual(await bapi.emitWithAck('server-ask', 'ping?'), { answers: ['pong from node'] });
  assert.deepEqual(await napi.emitWithAck('server-ask', 'ping?'), { answers: ['pong from beastio'] });
  // Nobody answers "nobody?": the error after the timeout.
  const unanswered = await bapi.emitWithAck('server-ask', 'nobody?', 500);
  assert.equal(unanswered.error, 'operation has timed out');
  // Broadcasts with acks both ways: each node counts its recipients, each client's ack comes back.
  b.on('poll', (ack) => ack('from beastio'));
  n.on('poll', (ack) => ack('from node'));
  for (const asker of [n, b]) {
    const asked = await asker.emitWithAck('ask-all', 'poll');
    assert.equal(asked.error, undefined, asked.error);
    assert.deepEqual(asked.answers.sort(), ['from beastio', 'from node']);
  }
  n.on('poll-silent', () => {});
  b.on('poll-silent', (ack) => ack('still here'));
  const partial = await b.emitWithAck('ask-all', 'poll-silent', 500);
  assert.equal(partial.error, 'operation has timed out');
  assert.deepEqual(partial.answers, ['still here']);
});
