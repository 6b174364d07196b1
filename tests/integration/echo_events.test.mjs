// App "echo": message → message-back, message-with-ack → ack, byte-exact JSON.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withServer } from './lib/server.mjs';
import { openSio } from './lib/rawclient.mjs';
import { io } from './lib/deps.mjs';

const ECHO = { flags: { '--app': 'echo' } };

// [sent, expected reply] — byte for byte
const ROWS = [
  ['42["message",1,"2",{"3":[true]}]', '42["message-back",1,"2",{"3":[true]}]'],
  ['42["message"]', '42["message-back"]'],
  ['42["message",1.50,-0,2.5e-3,1E+3,12345678901234567890,-7]', '42["message-back",1.50,-0,2.5e-3,1E+3,12345678901234567890,-7]'],
  ['42["message",{"b":1,"a":[null,false,{"z":"y","c":{}}],"":[]}]', '42["message-back",{"b":1,"a":[null,false,{"z":"y","c":{}}],"":[]}]'],
  ['42["message","héllo ✓ \\"q\\" \\\\ \\n\\t","日本"]', '42["message-back","héllo ✓ \\"q\\" \\\\ \\n\\t","日本"]'],
  ['42["message",{"_placeholder":false,"num":0}]', '42["message-back",{"_placeholder":false,"num":0}]'],
  ['42456["message-with-ack",1,"2",{"3":[false]}]', '43456[1,"2",{"3":[false]}]'],
  ['427["message-with-ack"]', '437[]'],
  ['420["message-with-ack",1.50,[]]', '430[1.50,[]]'],
  ['424294967295["message-with-ack","big id"]', '434294967295["big id"]'],
];

test('byte-exact echo table on /', async (t) => {
  const srv = await withServer(t, ECHO);
  const { client } = await openSio(srv.port, { readAuth: true });
  t.after(() => client.terminate());
  for (const [sent, expected] of ROWS) {
    await client.send(sent);
    assert.equal(await client.nextText(), expected, `reply to ${sent}`);
  }
});

test('numeric event names and unknown ack ids are not errors', async (t) => {
  const srv = await withServer(t, ECHO);
  const { client } = await openSio(srv.port, { readAuth: true });
  t.after(() => client.terminate());
  await client.send('42[1,2]');
  await client.send('4399[1]');
  await client.send('42["unknown-event",1]');
  await client.send('42["message","still here"]');
  assert.equal(await client.nextText(), '42["message-back","still here"]');
});

test('replies come back in order for a burst of 200 events', async (t) => {
  const srv = await withServer(t, ECHO);
  const { client } = await openSio(srv.port, { readAuth: true });
  t.after(() => client.terminate());
  for (let i = 0; i < 200; i++) {
    client.send(i % 2 ? `42["message",${i}]` : `42${i}["message-with-ack",${i}]`);
  }
  for (let i = 0; i < 200; i++) {
    assert.equal(await client.nextText(3000), i % 2 ? `42["message-back",${i}]` : `43${i}[${i}]`);
  }
});

test('socket.io-client: auth, message-back, emitWithAck, /custom auth', async (t) => {
  const srv = await withServer(t, ECHO);
  const opts = { transports: ['websocket'], reconnection: false, timeout: 3000, auth: { token: 't1' } };
  const socket = io(`http://127.0.0.1:${srv.port}`, opts);
  t.after(() => socket.close());
  const authP = new Promise((resolve) => socket.once('auth', resolve));
  await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('connect_error', reject); });
  assert.notEqual(socket.id, socket.io.engine.id, 'Socket.IO id differs from Engine.IO id');
  assert.deepEqual(await authP, { token: 't1' });
  const back = new Promise((resolve) => socket.once('message-back', (...args) => resolve(args)));
  socket.emit('message', 1, '2', { 3: [true] });
  assert.deepEqual(await back, [1, '2', { 3: [true] }]);
  const ack = await socket.timeout(3000).emitWithAck('message-with-ack', 'a', { b: [1, 2] });
  assert.deepEqual(ack, 'a'); // the first ack argument
  const both = await new Promise((resolve, reject) => {
    socket.timeout(3000).emit('message-with-ack', 'x', 2, (err, ...args) => (err ? reject(err) : resolve(args)));
  });
  assert.deepEqual(both, ['x', 2]);

  const custom = io(`http://127.0.0.1:${srv.port}/custom`, { ...opts, auth: { room: 'r' } });
  t.after(() => custom.close());
  const cauth = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no auth on /custom within 3 s')), 3000);
    custom.once('auth', (a) => { clearTimeout(timer); resolve(a); });
    custom.once('connect_error', reject);
  });
  assert.deepEqual(cauth, { room: 'r' });
});

test('socket.io-client: unknown namespace gives connect_error "Invalid namespace"', async (t) => {
  const srv = await withServer(t, ECHO);
  const socket = io(`http://127.0.0.1:${srv.port}/random`, { transports: ['websocket'], reconnection: false, timeout: 3000 });
  t.after(() => socket.close());
  const err = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no connect_error within 3 s')), 3000);
    socket.once('connect', () => reject(new Error('connected to /random')));
    socket.once('connect_error', (e) => { clearTimeout(timer); resolve(e); });
  });
  assert.equal(err.message, 'Invalid namespace');
});

test('a broadcast with acks (ask-all): every client answers; one that stays silent gives the timeout error with the answers that came', async (t) => {
  const srv = await withServer(t, ECHO);
  const opts = { transports: ['websocket'], reconnection: false, forceNew: true };
  const sockets = [0, 1, 2].map(() => io(srv.httpUrl, opts));
  t.after(() => sockets.forEach((s) => s.close()));
  await Promise.all(sockets.map((s) => new Promise((r) => s.once('connect', r))));
  sockets.forEach((s, i) => s.on('poll', (ack) => ack({ n: i })));
  const all = await sockets[0].emitWithAck('ask-all', 'poll');
  assert.equal(all.error, undefined);
  assert.deepEqual(all.answers.map((a) => a.n).sort(), [0, 1, 2]);
  sockets[1].on('quiet', () => {});  // never acks
  sockets[0].on('quiet', (ack) => ack('a'));
  sockets[2].on('quiet', (ack) => ack('c'));
  const some = await sockets[0].emitWithAck('ask-all', 'quiet', 300);
  assert.equal(some.error, 'operation has timed out');
  assert.deepEqual(some.answers.sort(), ['a', 'c']);
  // A reserved event name is refused at once.
  const reserved = await sockets[0].emitWithAck('ask-all', 'disconnect');
  assert.equal(reserved.error, 'reserved event name');
});
