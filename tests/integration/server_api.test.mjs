// The server API with socket.io-client: the echo service's /api namespace
// exposes one event per call (examples/echo/echo.cpp). Everything asserted is
// what a client observes; "did not receive" is proven by ordering (a reply
// queued after the thing that would have arrived), never by waiting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withServer, waitUntil } from './lib/server.mjs';
import { io } from './lib/deps.mjs';

const ECHO = { flags: { '--app': 'echo' } };

function connect(port, nsp = '/api', opts = {}) {
  const socket = io(`http://127.0.0.1:${port}${nsp}`, {
    transports: ['websocket'], reconnection: false, timeout: 5000, forceNew: true, ...opts,
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no connect to ${nsp} within 5 s`)), 5000);
    socket.once('connect', () => { clearTimeout(timer); resolve(socket); });
    socket.once('connect_error', (e) => { clearTimeout(timer); socket.close(); reject(e); });
  });
}

function connectError(port, nsp) {
  const socket = io(`http://127.0.0.1:${port}${nsp}`, { transports: ['websocket'], reconnection: false, forceNew: true });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no connect_error on ${nsp} within 5 s`)), 5000);
    socket.once('connect', () => { clearTimeout(timer); socket.close(); reject(new Error(`connected to ${nsp}`)); });
    socket.once('connect_error', (e) => { clearTimeout(timer); socket.close(); resolve(e.message); });
  });
}

const call = (socket, event, ...args) => socket.timeout(5000).emitWithAck(event, ...args);
const once = (socket, event) => new Promise((resolve) => socket.once(event, (...args) => resolve(args)));

async function crowd(t, port, n, nsp = '/api') {
  const sockets = [];
  for (let i = 0; i < n; i++) sockets.push(await connect(port, nsp));
  t.after(() => sockets.forEach((s) => s.close()));
  return sockets;
}

test('socket.handshake, socket.data and on_any as the application sees them', async (t) => {
  const srv = await withServer(t, ECHO);
  const before = Date.now();
  const s = await connect(srv.port, '/api', {
    query: { room: 'a b', n: '1' }, auth: { token: 'tk' }, extraHeaders: { 'X-Test': 'yes' },
  });
  t.after(() => s.close());
  const after = Date.now();

  const me = await call(s, 'whoami');
  assert.equal(me.id, s.id);
  assert.deepEqual(me.rooms, []);
  assert.deepEqual(me.data, { seen: ['whoami'] }, 'on_any ran before the handler');
  const h = me.handshake;
  assert.equal(h.headers['x-test'], 'yes');
  assert.equal(h.headers.host, `127.0.0.1:${srv.port}`);
  assert.equal(h.query.room, 'a b');
  assert.equal(h.query.n, '1');
  assert.equal(h.query.EIO, '4');
  assert.equal(h.query.transport, 'websocket');
  assert.match(h.url, /^\/socket\.io\/\?/);
  assert.equal(h.address, '127.0.0.1');
  assert.equal(h.secure, false);
  assert.ok(h.issued >= before - 1000 && h.issued <= after + 1000, `issued ${h.issued} in [${before}, ${after}]`);
  assert.equal(h.time, new Date(Math.floor(h.issued / 1000) * 1000).toUTCString());
  assert.deepEqual(h.auth, { token: 'tk' });

  await call(s, 'set-name', 'ada');
  const again = await call(s, 'whoami');
  assert.equal(again.data.name, 'ada');
  // on_any saw every event, in order, before its handler ran.
  assert.deepEqual(again.data.seen, ['whoami', 'set-name', 'whoami']);

  // The service bounds what a client may make it keep: a new name replaces the old one, the
  // record of events keeps the last 16, one flood is at most 10 MB of work.
  assert.equal(await call(s, 'set-name', 'grace'), true);
  assert.equal(await call(s, 'set-name', 'x'.repeat(65)), false);
  for (let i = 0; i < 20; i++) s.emit(`e${i}`);
  const bounded = await call(s, 'whoami');
  assert.equal(bounded.data.name, 'grace');
  assert.equal(bounded.data.seen.length, 16);
  assert.deepEqual(bounded.data.seen.slice(-2), ['e19', 'whoami']);
  assert.equal(await call(s, 'flood', 10000, 1000000, true), 0);
});

test('acks with a timeout in both directions', async (t) => {
  const srv = await withServer(t, ECHO);
  const s = await connect(srv.port);
  t.after(() => s.close());

  // Server -> client, answered in time.
  s.once('question', (...args) => { const cb = args.pop(); cb('yes', ...args); });
  let outcome = once(s, 'asked');
  assert.equal(await call(s, 'ask', 5000, 'q1'), true);
  assert.deepEqual(await outcome, [{ answer: ['yes', 'q1'] }]);

  // Server -> client, never answered: the server's callback gets the timeout.
  s.once('question', () => { /* no ack */ });
  outcome = once(s, 'asked');
  assert.equal(await call(s, 'ask', 200, 'q2'), true);
  assert.deepEqual(await outcome, [{ error: 'operation has timed out' }]);

  // Client -> server, an event the server never acknowledges: the client's timeout.
  await assert.rejects(s.timeout(300).emitWithAck('no-such-event'), /operation has timed out/);
  assert.equal((await call(s, 'whoami')).id, s.id, 'the connection is still served');
});

test('socket.to(room) reaches the room but the sender', async (t) => {
  const srv = await withServer(t, ECHO);
  const [a, b, c, outsider] = await crowd(t, srv.port, 4);
  for (const s of [a, b, c]) assert.equal(await call(s, 'join', 'r'), true);
  const got = [];
  for (const [name, s] of [['a', a], ['b', b], ['c', c], ['outsider', outsider]]) {
    s.on('room-message', (...args) => got.push([name, ...args]));
  }
  const bReceived = once(b, 'room-message');
  const cReceived = once(c, 'room-message');
  assert.equal(await call(a, 'to-others', 'r', 'hi', 1), 2);
  await Promise.all([bReceived, cReceived]);
  // a's own room-message would have been queued before its ack: it never came.
  // The outsider's would have come before the reply to its own request.
  await call(outsider, 'whoami');
  assert.deepEqual(got.sort(), [['b', 'hi', 1], ['c', 'hi', 1]]);
});

test('volatile emits are dropped for a connection that cannot take them now; others are queued', async (t) => {
  const srv = await withServer(t, { flags: { '--app': 'echo', '--send-queue-limit': '8' } });
  const s = await connect(srv.port);
  t.after(() => s.close());
  const sizes = [];
  s.on('flood', (payload) => sizes.push(payload.length));

  // A client that stops reading: its kernel buffers fill (a few MB on
  // loopback), and then frames have to wait in the server.
  const tcp = s.io.engine.transport.ws._socket;
  tcp.pause();
  const gone = once(s, 'disconnect');
  const logged = srv.waitForLog(/send queue overflow/, 10000);
  // 10 MB of volatile events: those the kernel cannot take at once are
  // dropped, and the send queue does not overflow on them...
  s.emit('flood', 50, 200000, true);
  // ...then a burst that must be queued overflows --send-queue-limit 8: closed (1013).
  s.emit('flood', 50, 1000, false);
  await logged;
  tcp.resume();
  const [reason, details] = await gone;
  assert.equal(reason, 'transport close');
  assert.equal(details.context.code, 1013);
  const volatileArrived = sizes.filter((n) => n === 200000).length;
  assert.ok(volatileArrived >= 1 && volatileArrived < 50, `some volatile events were dropped: ${volatileArrived} of 50 arrived`);
});

test('selections: fetch_sockets, sockets_join, sockets_leave, disconnect_sockets', async (t) => {
  const srv = await withServer(t, ECHO);
  const [a, b, c] = await crowd(t, srv.port, 3);
  await call(a, 'set-name', 'a');
  await call(b, 'set-name', 'b');
  await call(c, 'set-name', 'c');
  await call(a, 'join', 'x');
  await call(b, 'join', 'x');
  const names = (found) => found.map((f) => f.name).sort();

  assert.deepEqual(names(await call(c, 'select', {}, 'fetch')), ['a', 'b', 'c']);
  assert.deepEqual(names(await call(c, 'select', { rooms: ['x'] }, 'fetch')), ['a', 'b']);
  assert.deepEqual(names(await call(c, 'select', { rooms: ['x'], except: [a.id] }, 'fetch')), ['b']);
  assert.deepEqual(names(await call(c, 'select', { rooms: [c.id] }, 'fetch')), ['c'], 'a socket id is a room');

  assert.equal(await call(c, 'select', { rooms: ['x'], except: [a.id] }, 'join', ['y', 'z']), 'done');
  assert.deepEqual((await call(b, 'whoami')).rooms, ['x', 'y', 'z']);
  assert.deepEqual((await call(a, 'whoami')).rooms, ['x']);
  assert.equal(await call(c, 'select', { rooms: ['y'] }, 'leave', ['z', 'x']), 'done');
  assert.deepEqual((await call(b, 'whoami')).rooms, ['y']);

  // Namespace disconnect: the client is told (no reconnect), the others stay.
  const bGone = once(b, 'disconnect');
  assert.equal(await call(c, 'select', { rooms: ['y'] }, 'disconnect'), 'done');
  assert.deepEqual(await bGone, ['io server disconnect', undefined]);
  assert.deepEqual(names(await call(c, 'select', {}, 'fetch')), ['a', 'c']);

  // close: the whole connection, and again the client learns it was sent away,
  // on every namespace of that connection (a's /custom shares its WebSocket).
  const aCustom = a.io.socket('/custom'); // connects by itself, on a's connection
  t.after(() => aCustom.close());
  await new Promise((resolve) => aCustom.once('connect', resolve));
  assert.equal(aCustom.io.engine.id, a.io.engine.id, 'one connection, two namespaces');
  const aGone = once(a, 'disconnect');
  const aCustomGone = once(aCustom, 'disconnect');
  assert.equal(await call(c, 'select', { rooms: [a.id] }, 'close'), 'done');
  assert.deepEqual(await aGone, ['io server disconnect', undefined]);
  assert.deepEqual(await aCustomGone, ['io server disconnect', undefined]);
  assert.deepEqual(names(await call(c, 'select', {}, 'fetch')), ['c']);
});

test('disconnecting: the rooms are still known, so the others hear who left', async (t) => {
  const srv = await withServer(t, ECHO);
  const [a, b] = await crowd(t, srv.port, 2);
  await call(a, 'join', 'game');
  await call(b, 'join', 'game');
  const heard = once(a, 'leaving');
  const bId = b.id;
  b.disconnect();
  assert.deepEqual(await heard, [bId, 'game', 'client namespace disconnect']);

  const c = await connect(srv.port);
  t.after(() => c.close());
  await call(c, 'join', 'game');
  const heard2 = once(a, 'leaving');
  const cId = c.id;
  c.io.engine.close(); // the transport goes, not the namespace
  assert.deepEqual(await heard2, [cId, 'game', 'transport close']);
});

test('a server-wide emit reaches every namespace, dynamic ones included', async (t) => {
  const srv = await withServer(t, ECHO);
  const api = await connect(srv.port, '/api');
  const root = await connect(srv.port, '/');
  const custom = await connect(srv.port, '/custom');
  const dyn = await connect(srv.port, '/dyn-7');
  t.after(() => [api, root, custom, dyn].forEach((s) => s.close()));
  const heard = [root, custom, dyn, api].map((s) => once(s, 'shout'));
  assert.equal(await call(api, 'shout', 'all', 2), 4);
  for (const h of await Promise.all(heard)) assert.deepEqual(h, ['all', 2]);
});

test('dynamic namespaces: created on the first CONNECT of a matching name, bounded, removed when empty', async (t) => {
  const srv = await withServer(t, { flags: { '--app': 'echo', '--max-dynamic-namespaces': '2' } });
  const rows = [
    ['/dyn-1', 'welcome'],
    ['/dyn-x', 'Invalid namespace'],
    ['/dyn-22', 'welcome'],
    ['/dyn-333', 'Invalid namespace'], // a third would pass the limit of 2
    ['/dyn-1', 'welcome'], // exists: no limit
  ];
  let open22;
  for (const [nsp, expected] of rows) {
    if (expected === 'welcome') {
      const s = io(`http://127.0.0.1:${srv.port}${nsp}`, { transports: ['websocket'], reconnection: false, forceNew: true });
      t.after(() => s.close());
      const [name] = await once(s, 'welcome');
      assert.equal(name, nsp);
      if (nsp === '/dyn-22') open22 = s;
    } else {
      assert.equal(await connectError(srv.port, nsp), expected, nsp);
    }
  }
  await srv.waitForLog(/CONNECT to \/dyn-333 refused: 2 dynamic namespaces exist \(--max-dynamic-namespaces\)/);
  // Longer than --max-dynamic-name-bytes (256): never created, whatever the pattern says.
  assert.equal(await connectError(srv.port, `/dyn-${'1'.repeat(300)}`), 'Invalid namespace');
  // The last socket of /dyn-22 goes: the namespace goes with it, and /dyn-333 fits.
  open22.close();
  await waitUntil(async () => {
    const s = io(`http://127.0.0.1:${srv.port}/dyn-333`, { transports: ['websocket'], reconnection: false, forceNew: true });
    const ok = await Promise.race([once(s, 'welcome').then(() => true), once(s, 'connect_error').then(() => false)]);
    s.close();
    return ok;
  }, 10000, '/dyn-333 accepted once /dyn-22 is gone');
});
