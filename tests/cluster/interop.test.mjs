// beastio nodes and a Node socket.io 4.8 node with @socket.io/redis-adapter 8
// on one redis-server form one cluster; @socket.io/redis-emitter (a CMS
// backend, say) reaches beastio's clients. Versions: clients/package-lock.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { startServer, freePort } from '../lib/fixture.mjs';
import { startRedis } from '../lib/redis.mjs';
import { io } from '../integration/lib/deps.mjs';
import { startNode, leaderOf, integerClient, plainClient, assertConsecutive, waitForCount, waitUntil } from './lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(new URL('../../clients/package.json', import.meta.url));
const { Emitter } = require('@socket.io/redis-emitter');
const { createClient } = require('redis');

async function nodeNode(t, redis) {
  const port = await freePort();
  const srv = await startServer({
    command: [process.execPath, path.join(here, 'node-server.mjs'), '--port', String(port), '--redis', redis.url],
    port, ready: /node socket\.io listening/,
  });
  t.after(() => srv.kill());
  return srv;
}

// @socket.io/redis-emitter on its own node-redis client, as a CMS backend would use it.
async function emitterOn(t, redis) {
  const client = createClient({ url: redis.url });
  client.on('error', () => {});  // Redis goes first at teardown
  await client.connect();
  t.after(() => client.disconnect().catch(() => {}));
  return new Emitter(client);
}

// @socket.io/redis-adapter's protocol, which the Node node and the emitter speak (streams.test.mjs: the other one).
const pubsub = { '--redis-adapter': 'pubsub' };

const opts = { transports: ['websocket'], reconnection: false, forceNew: true };
const connect = (url) => {
  const s = io(url, opts);
  return new Promise((resolve, reject) => { s.once('connect', () => resolve(s)); s.once('connect_error', reject); });
};

// Resends until the message arrives (a subscription reaches Redis a moment after the join that caused it).
async function sendUntil(send, arrived, what) {
  let got;
  await waitUntil(async () => {
    await send();
    got = await Promise.race([arrived, new Promise((r) => setTimeout(() => r(undefined), 300))]);
    return got !== undefined;
  }, 8000, what);
  return got;
}

test('three beastio nodes and a Node socket.io node: the Node node\'s clients get the same gap-free integers as beastio\'s', async (t) => {
  const redis = await startRedis();
  t.after(() => redis.cleanup());
  const nodes = [await startNode(redis, pubsub), await startNode(redis, pubsub), await startNode(redis, pubsub)];
  t.after(() => Promise.all(nodes.map((n) => n.kill())));
  const node = await nodeNode(t, redis);
  await leaderOf(nodes);
  const clients = [integerClient(nodes[0], 'beastio0'), integerClient(nodes[1], 'beastio1'), integerClient(nodes[2], 'beastio2'),
    plainClient(nodes[1], 'plain1'),
    integerClient(node, 'node0'), integerClient(node, 'node1')];
  t.after(() => clients.forEach((c) => c.close()));
  await Promise.all(clients.map((c) => c.connected));
  await waitForCount(clients, 25, 15000);
  for (const c of clients) assertConsecutive(c);
  const start = Math.max(...clients.map((c) => c.values[0]));
  const end = Math.min(...clients.map((c) => c.values.at(-1)));
  assert.ok(end - start >= 15, `overlap ${start}..${end}`);
  for (const c of clients) assert.ok(c.values.includes(start) && c.values.includes(end), c.name);
});

test('rooms across beastio and Node nodes, both ways, binary included', async (t) => {
  const redis = await startRedis();
  t.after(() => redis.cleanup());
  const beastio = await startNode(redis, { ...pubsub, '--app': 'echo' });
  t.after(() => beastio.kill());
  const node = await nodeNode(t, redis);
  const [b, n, outsider] = await Promise.all([connect(beastio.httpUrl), connect(node.httpUrl), connect(beastio.httpUrl)]);
  t.after(() => [b, n, outsider].forEach((s) => s.close()));
  let outsiderGot = 0;
  outsider.on('room-message', () => { outsiderGot++; });
  // A client of the Node node in "r": a beastio client's to-room reaches it.
  assert.equal(await n.emitWithAck('join', 'r'), true);
  const atNode = await sendUntil(() => b.emitWithAck('to-room', 'r', 'from beastio', { n: 1.5 }, Buffer.from([1, 2])),
    new Promise((r) => n.once('room-message', (...a) => r(a))), 'the room message on the Node node');
  assert.deepEqual(atNode.slice(0, 2), ['from beastio', { n: 1.5 }]);
  assert.deepEqual([...atNode[2]], [1, 2]);
  // A beastio client in "s": the Node node's io.to("s") reaches it.
  assert.equal(await b.emitWithAck('join', 's'), true);
  const atBeastio = await sendUntil(() => n.emitWithAck('to-room', 's', 'from node', [1, 'x'], Buffer.from([3])),
    new Promise((r) => b.once('room-message', (...a) => r(a))), 'the room message on beastio');
  assert.deepEqual(atBeastio.slice(0, 2), ['from node', [1, 'x']]);
  assert.deepEqual([...atBeastio[2]], [3]);
  assert.equal(outsiderGot, 0, 'a client outside both rooms got a room message');
});

test('@socket.io/redis-emitter reaches beastio clients: everyone, a room, except a room', async (t) => {
  const redis = await startRedis();
  t.after(() => redis.cleanup());
  const beastio = await startNode(redis, { ...pubsub, '--app': 'echo' });
  t.after(() => beastio.kill());
  const emitter = await emitterOn(t, redis);
  const [a, b] = await Promise.all([connect(beastio.httpUrl), connect(beastio.httpUrl)]);
  t.after(() => [a, b].forEach((s) => s.close()));
  assert.equal(await a.emitWithAck('join', 'vip'), true);
  const bothGot = await sendUntil(async () => { emitter.emit('news', { id: 7, tags: ['x'] }, Buffer.from([9])); },
    Promise.all([a, b].map((s) => new Promise((r) => s.once('news', (...x) => r(x))))), 'the emitter\'s broadcast');
  for (const got of bothGot) {
    assert.deepEqual(got[0], { id: 7, tags: ['x'] });
    assert.deepEqual([...got[1]], [9]);
  }
  let bVip = 0;
  b.on('vip-only', () => { bVip++; });
  const aVip = await sendUntil(async () => { emitter.to('vip').emit('vip-only', 1); },
    new Promise((r) => a.once('vip-only', (...x) => r(x))), 'the emitter\'s room broadcast');
  assert.deepEqual(aVip, [1]);
  let aNotVip = 0;
  a.on('not-vip', () => { aNotVip++; });
  const bOnly = await sendUntil(async () => { emitter.except('vip').emit('not-vip', 2); },
    new Promise((r) => b.once('not-vip', (...x) => r(x))), 'the emitter\'s broadcast except a room');
  assert.deepEqual(bOnly, [2]);
  // One more to everyone, as a barrier: what was sent before it has arrived.
  await sendUntil(async () => { emitter.emit('barrier'); }, new Promise((r) => a.once('barrier', () => r(true))), 'the barrier');
  assert.equal(bVip, 0, 'a client outside the room got the room broadcast');
  assert.equal(aNotVip, 0, 'a client of the excepted room got the broadcast');
});

test('the request half of the protocol: a Node node fetches, lists rooms, joins and asks beastio\'s sockets', { timeout: 60000 }, async (t) => {
  const redis = await startRedis();
  t.after(() => redis.cleanup());
  const beastio = await startNode(redis, { ...pubsub, '--app': 'echo' });
  t.after(() => beastio.kill());
  const node = await nodeNode(t, redis);
  const [b, n] = await Promise.all([connect(beastio.httpUrl), connect(node.httpUrl)]);
  t.after(() => [b, n].forEach((s) => s.close()));
  assert.equal(await b.emitWithAck('join', 'hive'), true);
  // fetchSockets on the Node node: its own socket and beastio's, with rooms and data.
  let found;
  await waitUntil(async () => {
    found = await n.emitWithAck('fetch');
    return found.some((s) => s.id === b.id);
  }, 8000, 'beastio\'s socket in the Node node\'s fetchSockets()');
  const bee = found.find((s) => s.id === b.id);
  assert.deepEqual(bee.rooms.sort(), [b.id, 'hive'].sort());
  assert.equal(bee.address, '127.0.0.1');
  assert.ok(found.some((s) => s.id === n.id));
  // allRooms: beastio's rooms are in it.
  const rooms = await n.emitWithAck('all-rooms');
  assert.ok(rooms.includes('hive'), `all rooms: ${rooms}`);
  // socketsJoin from the Node node moves beastio's socket into another room.
  assert.equal(await n.emitWithAck('sockets-join', 'hive', 'swarm'), true);
  await waitUntil(async () => {
    const all = await n.emitWithAck('fetch');
    return all.find((s) => s.id === b.id)?.rooms.includes('swarm');
  }, 8000, 'beastio\'s socket in "swarm"');
  // A broadcast with acks from the Node node: beastio's client answers too.
  b.on('poll', (ack) => ack('from beastio'));
  n.on('poll', (ack) => ack('from node'));
  const asked = await n.emitWithAck('ask-all', 'poll');
  assert.equal(asked.error, undefined, asked.error);
  assert.deepEqual(asked.answers.sort(), ['from beastio', 'from node']);
  // And from beastio: its broadcast with acks reaches the Node node's client, whose ack comes back.
  const fromBeastio = await b.emitWithAck('ask-all', 'poll');
  assert.equal(fromBeastio.error, undefined, fromBeastio.error);
  assert.deepEqual(fromBeastio.answers.sort(), ['from beastio', 'from node']);
  // A client that never answers: the error after the timeout, with the answers that came.
  n.on('poll-silent', () => {});
  b.on('poll-silent', (ack) => ack('still here'));
  const partial = await b.emitWithAck('ask-all', 'poll-silent', 500);
  assert.equal(partial.error, 'operation has timed out');
  assert.deepEqual(partial.answers, ['still here']);
});

test('@socket.io/redis-emitter\'s socketsJoin and disconnectSockets reach beastio\'s sockets', async (t) => {
  const redis = await startRedis();
  t.after(() => redis.cleanup());
  const beastio = await startNode(redis, { ...pubsub, '--app': 'echo' });
  t.after(() => beastio.kill());
  const emitter = await emitterOn(t, redis);
  const a = await connect(beastio.httpUrl);
  t.after(() => a.close());
  assert.equal(await a.emitWithAck('join', 'vip'), true);
  emitter.in('vip').socketsJoin('gold');
  await sendUntil(async () => { emitter.to('gold').emit('gold-news', 1); },
    new Promise((r) => a.once('gold-news', (...x) => r(x))), 'a broadcast to the room the emitter made it join');
  const gone = new Promise((r) => a.once('disconnect', r));
  emitter.in('gold').disconnectSockets();
  assert.equal(await gone, 'io server disconnect');
});

test('from beastio to the whole cluster: fetch sockets, all rooms and server-side events, with a Node node', async (t) => {
  const redis = await startRedis();
  t.after(() => redis.cleanup());
  const beastio = await startNode(redis, { ...pubsub, '--app': 'echo' });
  t.after(() => beastio.kill());
  const node = await nodeNode(t, redis);
  const [b, n] = await Promise.all([connect(`${beastio.httpUrl}/api`), connect(`${node.httpUrl}/api`)]);
  t.after(() => [b, n].forEach((s) => s.close()));
  assert.equal(await n.emitWithAck('join', 'den'), true);
  // fetch_sockets across nodes: beastio's own socket (local) and the Node node's.
  let found;
  await waitUntil(async () => {
    found = await b.emitWithAck('fetch-all', {});
    return found.some((s) => s.id === n.id && s.rooms.includes('den'));
  }, 8000, 'the Node node\'s socket in beastio\'s fetch_sockets');
  assert.deepEqual(found.find((s) => s.id === b.id)?.local, true);
  assert.deepEqual(found.find((s) => s.id === n.id)?.local, false);
  // A selection crosses too: only the sockets in "den".
  const inDen = await b.emitWithAck('fetch-all', { rooms: ['den'] });
  assert.deepEqual(inDen.map((s) => s.id), [n.id]);
  const rooms = await b.emitWithAck('all-rooms');
  assert.ok(rooms.includes('den') && rooms.includes(b.id), `all rooms: ${rooms}`);
  // Server-side events both ways.
  const atNode = new Promise((r) => n.once('server-side', (...a) => r(a)));
  assert.equal(await b.emitWithAck('server-emit', 'hello', 1, 'x'), true);
  assert.deepEqual(await atNode, ['hello', 1, 'x']);
  const atBeastio = new Promise((r) => b.once('server-side', (...a) => r(a)));
  assert.equal(await n.emitWithAck('server-emit', 'hi', { a: 1.25 }), true);
  assert.deepEqual(await atBeastio, ['hi', { a: 1.25 }]);
  // Server-side events with acks both ways: each other node answers once.
  assert.deepEqual(await b.emitWithAck('server-ask', 'ping?'), { answers: ['pong from node'] });
  assert.deepEqual(await n.emitWithAck('server-ask', 'ping?'), { answers: ['pong from beastio'] });
  // Nobody answers "nobody?": the error after the timeout.
  const unanswered = await b.emitWithAck('server-ask', 'nobody?', 500);
  assert.equal(unanswered.error, 'operation has timed out');
});
