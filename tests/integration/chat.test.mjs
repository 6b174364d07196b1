// The chat example (examples/chat, the beastio-chat executable) with
// socket.io-client: the token middleware, rooms, acknowledgements, volatile
// typing notices and the disconnecting event, as a chat client sees them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withServer, chatBinary, runToExit } from './lib/server.mjs';
import { io } from './lib/deps.mjs';

const TOKEN = 'chat-secret-1';

const startChat = (t, flags = {}) => withServer(t, { binary: chatBinary(), flags, env: { CHAT_TOKEN: TOKEN } });

function join(port, auth) {
  const socket = io(`http://127.0.0.1:${port}/chat`, { transports: ['websocket'], reconnection: false, forceNew: true, auth });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no welcome within 5 s')), 5000);
    socket.once('welcome', (w) => { clearTimeout(timer); resolve({ socket, welcome: w }); });
    socket.once('connect_error', (e) => { clearTimeout(timer); socket.close(); reject(e); });
  });
}

const call = (socket, event, ...args) => socket.timeout(5000).emitWithAck(event, ...args);
// The first n payloads of event, from now on.
function collect(socket, event, n) {
  const got = [];
  return new Promise((resolve) => {
    const on = (x) => { got.push(x); if (got.length === n) { socket.off(event, on); resolve(got); } };
    socket.on(event, on);
  });
}
const once = (socket, event) => new Promise((resolve) => socket.once(event, (...args) => resolve(args)));

async function people(t, port, ...names) {
  const out = {};
  for (const name of names) {
    out[name] = (await join(port, { name, token: TOKEN })).socket;
    t.after(() => out[name].close());
  }
  return out;
}

test('chat: the middleware refuses a bad token or name with CONNECT_ERROR and data', async (t) => {
  const srv = await startChat(t);
  const rows = [
    [{ name: 'ada', token: 'wrong' }, 'not authorized', { reason: 'bad token' }],
    [{ name: 'ada' }, 'not authorized', { reason: 'bad token' }],
    [{ name: 'a b', token: TOKEN }, 'invalid name', { rule: '1 to 32 of A-Z a-z 0-9 _ -' }],
    [{ name: 'x'.repeat(33), token: TOKEN }, 'invalid name', { rule: '1 to 32 of A-Z a-z 0-9 _ -' }],
  ];
  for (const [auth, message, data] of rows) {
    const err = await join(srv.port, auth).then(() => null, (e) => e);
    assert.ok(err, `refused: ${JSON.stringify(auth)}`);
    assert.equal(err.message, message);
    assert.deepEqual(err.data, data);
  }
  const { socket, welcome } = await join(srv.port, { name: 'ada', token: TOKEN });
  t.after(() => socket.close());
  assert.equal(welcome.name, 'ada');
  assert.equal(welcome.id, socket.id);
  assert.deepEqual(welcome.rooms, ['lobby']);
});

test('chat: rooms, say with an ack, the sender does not get its own message', async (t) => {
  const srv = await startChat(t);
  const { ada, bob, cy } = await people(t, srv.port, 'ada', 'bob', 'cy');
  assert.deepEqual(await call(bob, 'join', 'rust'), { ok: true, members: 1 });
  // "joined" goes to the members of the room joined, not to the one joining.
  const bobHears = collect(bob, 'joined', 2);
  assert.deepEqual(await call(ada, 'join', 'rust'), { ok: true, members: 2 });
  const adaHears = collect(ada, 'joined', 1);
  assert.deepEqual(await call(cy, 'join', 'rust'), { ok: true, members: 3 });
  assert.deepEqual(await bobHears, [{ room: 'rust', name: 'ada' }, { room: 'rust', name: 'cy' }]);
  assert.deepEqual(await adaHears, [{ room: 'rust', name: 'cy' }]);
  assert.deepEqual(await call(cy, 'leave', 'rust'), { ok: true });
  assert.deepEqual(await call(ada, 'who', 'rust'), ['ada', 'bob']);
  assert.deepEqual(await call(ada, 'who', 'lobby'), ['ada', 'bob', 'cy']);

  const got = [];
  for (const [n, s] of Object.entries({ ada, bob, cy })) s.on('message', (m) => got.push([n, m.room, m.from, m.text]));
  const bobGets = once(bob, 'message');
  assert.deepEqual(await call(ada, 'say', 'rust', 'hello'), { delivered: 1 });
  const [m] = await bobGets;
  assert.equal(typeof m.at, 'number');
  // cy's would have come before the answer to its own request; ada's before her ack.
  await call(cy, 'who', 'rust');
  assert.deepEqual(got, [['bob', 'rust', 'ada', 'hello']]);

  assert.deepEqual(await call(cy, 'say', 'rust', 'let me in'), { error: 'not in room' });
  assert.deepEqual(await call(ada, 'say', 'rust', ''), { error: 'text too long or empty' });
  assert.deepEqual(await call(ada, 'say', 'rust', 'y'.repeat(2001)), { error: 'text too long or empty' });
  assert.deepEqual(await call(ada, 'join', bob.id), { error: 'invalid room' }, "another socket's private room");
});

test('chat: typing notices go to the room but the sender; leaving and disconnecting are announced', async (t) => {
  const srv = await startChat(t);
  const { ada, bob } = await people(t, srv.port, 'ada', 'bob');
  await call(ada, 'join', 'go');
  await call(bob, 'join', 'go');
  const typing = once(bob, 'typing');
  ada.emit('typing', 'go');
  assert.deepEqual((await typing)[0], { room: 'go', from: 'ada' });

  let left = once(ada, 'left');
  assert.deepEqual(await call(bob, 'leave', 'go'), { ok: true });
  assert.deepEqual((await left)[0], { room: 'go', name: 'bob' });
  assert.deepEqual(await call(bob, 'leave', 'go'), { error: 'not in room' });

  // bob goes: ada hears it in the lobby, the only room they still share.
  left = once(ada, 'left');
  bob.close();
  assert.deepEqual((await left)[0], { room: 'lobby', name: 'bob' });
  assert.deepEqual(await call(ada, 'who', 'lobby'), ['ada']);
});

test('chat: without CHAT_TOKEN the server refuses to start, with a reason', async () => {
  const r = await runToExit(['--port', '0', '--address', '127.0.0.1'], { command: chatBinary(), env: { CHAT_TOKEN: undefined }, timeoutMs: 10000 });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /beastio-chat: cannot start: set CHAT_TOKEN/);
});
