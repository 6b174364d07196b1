// Connection state recovery with real cuts: socket.io-client 4.8 over
// websocket resumes its session (recovered, same id, nothing missing) after
// the transport is closed from the client side, after the TCP connection is
// dropped under it (a loopback proxy the test controls), and through a
// half-open connection; 50 clients cut at once; an expired window, a forged
// pid, a stolen pid; recovery off leaves the wire as it was. The plain stream
// resumes with ?after=N.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withServer, waitUntil, sleep, SANITIZED } from './lib/server.mjs';
import { RawClient, openEio } from './lib/rawclient.mjs';
import { io } from './lib/deps.mjs';
import { startProxy } from '../lib/proxy.mjs';

const WINDOW = { '--recovery-window-ms': '60000' };
const QUICK = { transports: ['websocket'], reconnectionDelay: 100, reconnectionDelayMax: 200, randomizationFactor: 0, timeout: 5000 };
const T = SANITIZED ? 30000 : 10000;

function once(emitter, event, timeoutMs = T, what = event) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${what} within ${timeoutMs} ms`)), timeoutMs);
    emitter.once(event, (...args) => { clearTimeout(timer); resolve(args); });
  });
}

// A socket.io client that records every integer (and its offset) and every connect.
function integerClient(t, url, opts = {}) {
  const sock = io(url, { ...QUICK, ...opts });
  t.after(() => sock.close());
  const c = { sock, seen: [], offsets: [], connects: [] };
  sock.on('integer', (n, offset) => { c.seen.push(n); c.offsets.push(offset); });
  sock.on('connect', () => c.connects.push({ id: sock.id, recovered: sock.recovered, at: c.seen.length }));
  c.until = (pred, what, ms = T) => waitUntil(() => pred(c), ms, what);
  return c;
}

// Consecutive integers, each once.
function assertGapFree(seen, what) {
  assert.ok(seen.length > 0, `${what}: no integer`);
  for (let i = 1; i < seen.length; i++) {
    assert.equal(seen[i], seen[i - 1] + 1, `${what}: ${seen[i - 1]} then ${seen[i]} (at ${i} of ${seen.length})`);
  }
}

async function proxyTo(t, port) {
  const proxy = await startProxy(port);
  t.after(() => proxy.close());
  return proxy;
}

test('recovery off (the default): no pid, one argument, bytes as before', async (t) => {
  const srv = await withServer(t);
  const { client } = await openEio(srv.port);
  t.after(() => client.terminate());
  client.send('40');
  const reply = await client.nextText();
  assert.match(reply, /^40\{"sid":"[A-Za-z0-9_-]{20}"\}$/);
  const event = await client.nextText(T);
  assert.match(event, /^42\["integer",\d+\]$/);
});

test('recovery on: the CONNECT reply carries a pid, every integer its offset', async (t) => {
  const srv = await withServer(t, { flags: WINDOW });
  const { client } = await openEio(srv.port);
  t.after(() => client.terminate());
  client.send('40');
  const reply = JSON.parse((await client.nextText()).slice(2));
  assert.deepEqual(Object.keys(reply), ['sid', 'pid']);
  assert.match(reply.pid, /^[A-Za-z0-9_-]{20}$/);
  assert.notEqual(reply.pid, reply.sid);
  const offsets = [];
  for (let i = 0; i < 3; i++) {
    const m = /^42\["integer",(\d+),"([A-Za-z0-9_-]+\.\d+)"\]$/.exec(await client.nextText(T));
    assert.ok(m, 'an integer with its offset');
    offsets.push(m[2]);
  }
  const [epoch] = offsets[0].split('.');
  const seqs = offsets.map((o) => { assert.equal(o.split('.')[0], epoch); return Number(o.split('.')[1]); });
  assert.deepEqual(seqs, [seqs[0], seqs[0] + 1, seqs[0] + 2], 'consecutive offsets');
});

test('socket.io-client resumes after the transport is closed from its side, several times in a row', async (t) => {
  const srv = await withServer(t, { flags: WINDOW });
  const bystander = integerClient(t, srv.httpUrl);  // keeps the producer running through the cuts
  await once(bystander.sock, 'connect');
  const c = integerClient(t, srv.httpUrl);
  await once(c.sock, 'connect');
  assert.equal(c.sock.recovered, false);
  const id = c.sock.id;
  for (let cut = 1; cut <= 3; cut++) {
    const before = c.seen.length;
    await c.until((x) => x.seen.length >= before + 3, 'integers before the cut');
    const back = once(c.sock, 'connect', T, `reconnect ${cut}`);
    c.sock.io.engine.close();
    await back;
    assert.equal(c.sock.recovered, true, `cut ${cut}: recovered`);
    assert.equal(c.sock.id, id, `cut ${cut}: the same id`);
  }
  const last = bystander.seen.at(-1);
  await c.until((x) => x.seen.at(-1) >= last + 3, 'integers after the last cut');
  assertGapFree(c.seen, 'across three cuts');
  assert.ok(c.offsets.every((o) => typeof o === 'string'), 'every integer carried its offset');
  assert.match(srv.log(), /session restored, [1-9]\d* packets replayed/, 'something was actually replayed');
});

test('socket.io-client resumes after its TCP connection is dropped under it', async (t) => {
  const srv = await withServer(t, { flags: WINDOW });
  const proxy = await proxyTo(t, srv.port);
  const bystander = integerClient(t, srv.httpUrl);
  await once(bystander.sock, 'connect');
  const c = integerClient(t, `http://127.0.0.1:${proxy.port}`);
  await once(c.sock, 'connect');
  const id = c.sock.id;
  await c.until((x) => x.seen.length >= 3, 'integers before the cut');
  const down = once(c.sock, 'disconnect');
  const back = once(c.sock, 'connect', T, 'reconnect');
  proxy.cut();
  const [reason] = await down;
  assert.equal(reason, 'transport close');
  await back;
  assert.equal(c.sock.recovered, true);
  assert.equal(c.sock.id, id);
  const last = bystander.seen.at(-1);
  await c.until((x) => x.seen.at(-1) >= last + 3, 'integers after the cut');
  assertGapFree(c.seen, 'across the TCP drop');
});

test('a half-open connection: the restore closes the old connection first (socket.io #4880)', async (t) => {
  // Long heartbeats: the server does not notice the dead connection by itself.
  const srv = await withServer(t, { flags: { ...WINDOW, '--ping-interval-ms': '25000', '--ping-timeout-ms': '20000' } });
  const proxy = await proxyTo(t, srv.port);
  const bystander = integerClient(t, srv.httpUrl);
  await once(bystander.sock, 'connect');
  const c = integerClient(t, `http://127.0.0.1:${proxy.port}`);
  await once(c.sock, 'connect');
  const id = c.sock.id;
  await c.until((x) => x.seen.length >= 3, 'integers before the cut');
  const back = once(c.sock, 'connect', T, 'reconnect');
  proxy.halfOpen();
  await back;
  assert.equal(c.sock.recovered, true);
  assert.equal(c.sock.id, id);
  await srv.waitForLog(/close \S+ reason="session resumed on another connection"/, T);
  const last = bystander.seen.at(-1);
  await c.until((x) => x.seen.at(-1) >= last + 3, 'integers after the cut');
  assertGapFree(c.seen, 'through a half-open connection');
});

test('50 clients cut at once all resume without a gap', async (t) => {
  const srv = await withServer(t, { flags: WINDOW });
  const proxy = await proxyTo(t, srv.port);
  const bystander = integerClient(t, srv.httpUrl);
  await once(bystander.sock, 'connect');
  const clients = [];
  for (let i = 0; i < 50; i++) clients.push(integerClient(t, `http://127.0.0.1:${proxy.port}`, { reconnectionDelay: 100 + 4 * i }));
  await Promise.all(clients.map((c) => c.until((x) => x.seen.length >= 2, 'integers before the cut')));
  const ids = clients.map((c) => c.sock.id);
  const back = clients.map((c) => once(c.sock, 'connect', 3 * T, 'reconnect'));
  proxy.cut();
  await Promise.all(back);
  clients.forEach((c, i) => {
    assert.equal(c.sock.recovered, true, `client ${i} recovered`);
    assert.equal(c.sock.id, ids[i], `client ${i} kept its id`);
  });
  const last = bystander.seen.at(-1);
  await Promise.all(clients.map((c) => c.until((x) => x.seen.at(-1) >= last + 2, 'integers after the cut', 3 * T)));
  clients.forEach((c, i) => assertGapFree(c.seen, `client ${i}`));
});

test('an expired window gives a fresh session, and the gap shows', async (t) => {
  const srv = await withServer(t, { flags: { '--recovery-window-ms': '500' } });
  const bystander = integerClient(t, srv.httpUrl);
  await once(bystander.sock, 'connect');
  const c = integerClient(t, srv.httpUrl, { reconnection: false });
  await once(c.sock, 'connect');
  const id = c.sock.id;
  await c.until((x) => x.seen.length >= 2, 'integers');
  const down = once(c.sock, 'disconnect');
  c.sock.io.engine.close();
  await down;
  const lastSeen = c.seen.at(-1);
  // Away for longer than the window (a loaded machine only makes it longer).
  await sleep(1500);
  await bystander.until((x) => x.seen.at(-1) > lastSeen + 2, 'integers while away');
  c.sock.connect();
  await once(c.sock, 'connect');
  assert.equal(c.sock.recovered, false);
  assert.notEqual(c.sock.id, id);
  const after = c.seen.length;
  await c.until((x) => x.seen.length > after, 'an integer in the fresh session');
  assert.ok(c.seen[after] > lastSeen + 1, `a gap after ${lastSeen}: the next is ${c.seen[after]}`);
  await srv.waitForLog(/session not restored \(unknown or expired session\)/);
});

test('a forged pid or offset gets a fresh session, never an error', async (t) => {
  const srv = await withServer(t, { flags: WINDOW });
  const forged = integerClient(t, srv.httpUrl, { auth: { pid: 'forged-pid', offset: 'x.1' } });
  await once(forged.sock, 'connect');
  assert.equal(forged.sock.recovered, false);
  assert.notEqual(forged.sock._pid, 'forged-pid');
  await forged.until((x) => x.seen.length >= 1, 'integers');
  await srv.waitForLog(/session not restored \(unknown or expired session\)/);

  // The right pid with an offset that is not the server's.
  const owner = integerClient(t, srv.httpUrl, { reconnection: false });
  await once(owner.sock, 'connect');
  await owner.until((x) => x.seen.length >= 1, 'integers');
  const pid = owner.sock._pid;
  const down = once(owner.sock, 'disconnect');
  owner.sock.io.engine.close();
  await down;
  const bad = integerClient(t, srv.httpUrl, { auth: { pid, offset: 'AAAAAAAA.0' } });
  await once(bad.sock, 'connect');
  assert.notEqual(bad.sock.id, owner.sock.id ?? owner.connects[0].id);
  await srv.waitForLog(/session not restored \(unknown offset\)/);
});

test('a stolen pid while its owner is connected: never two live sockets on one id', async (t) => {
  const srv = await withServer(t, { flags: WINDOW });
  const owner = integerClient(t, srv.httpUrl, { reconnection: false });
  await once(owner.sock, 'connect');
  await owner.until((x) => x.seen.length >= 2, 'integers');
  const id = owner.sock.id;
  const ownerDown = once(owner.sock, 'disconnect', T, 'the owner disconnected');
  const thief = integerClient(t, srv.httpUrl, { reconnection: false, auth: { pid: owner.sock._pid, offset: owner.offsets.at(-1) } });
  await once(thief.sock, 'connect');
  assert.equal(thief.sock.id, id, 'the session moved to the new connection');
  await ownerDown;
  assert.equal(owner.sock.connected, false);
  await srv.waitForLog(/close \S+ reason="session resumed on another connection"/);
});

// ---- the plain stream ----

async function plainIntegers(client, count, timeoutMs = T) {
  const out = [];
  while (out.length < count) {
    const f = await client.next(timeoutMs);
    assert.equal(f.type, 'text');
    out.push(Number(f.data));
  }
  return out;
}

test('the plain stream resumes with ?after=N: nothing lost, nothing twice', async (t) => {
  const srv = await withServer(t, { flags: WINDOW });
  const bystander = integerClient(t, srv.httpUrl);
  await once(bystander.sock, 'connect');
  const first = await RawClient.open(`${srv.wsUrl}/_ws/`);
  const before = await plainIntegers(first, 3);
  first.terminate();
  const last = before.at(-1);
  await bystander.until((x) => x.seen.at(-1) >= last + 4, 'integers while away');
  const again = await RawClient.open(`${srv.wsUrl}/_ws/?after=${last}`);
  t.after(() => again.terminate());
  const after = await plainIntegers(again, 8);
  assertGapFree([...before, ...after], 'plain stream across a reconnect');
});

test('the plain stream: ?after= older than the log gives the oldest kept; a malformed one is refused', async (t) => {
  const srv = await withServer(t, { flags: { ...WINDOW, '--recovery-max-packets': '5' } });
  const bystander = integerClient(t, srv.httpUrl);
  await once(bystander.sock, 'connect');
  await bystander.until((x) => x.seen.length >= 8, 'integers');
  const old = await RawClient.open(`${srv.wsUrl}/_ws/?after=0`);
  t.after(() => old.terminate());
  const got = await plainIntegers(old, 6);
  assert.ok(got[0] > 1, `the oldest kept, not 1: ${got[0]}`);
  assertGapFree(got, 'from the oldest kept');
  await srv.waitForLog(/plain stream from .* resumes after 0: \d+ replayed from \d+ \(older ones are no longer kept\)/);

  for (const bad of ['abc', '-1', '1.5', '', '99999999999999999999']) {
    const c = await RawClient.open(`${srv.wsUrl}/_ws/?after=${bad}`);
    const info = await c.nextClose(T);
    assert.equal(info.code, 1008, `after=${bad}`);
    assert.equal(info.reason, 'invalid request');
  }
  await srv.waitForLog(/plain stream from .* refused: after must be a non-negative integer/);
});
