// Binary events: placeholders, attachments as binary frames (or b<base64>).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withServer } from './lib/server.mjs';
import { openSio } from './lib/rawclient.mjs';
import { io } from './lib/deps.mjs';

const ECHO = { flags: { '--app': 'echo' } };
const PH = (n) => `{"_placeholder":true,"num":${n}}`;

test('451- message with one attachment → 451- message-back + same bytes', async (t) => {
  const srv = await withServer(t, ECHO);
  const { client } = await openSio(srv.port, { readAuth: true });
  t.after(() => client.terminate());
  const bytes = Buffer.from([1, 2, 3, 0, 255]);
  await client.send(`451-["message",${PH(0)}]`);
  await client.send(bytes);
  assert.equal(await client.nextText(), `451-["message-back",${PH(0)}]`);
  assert.deepEqual(await client.nextBinary(), bytes);
});

test('two attachments, mixed with other args, keep their order', async (t) => {
  const srv = await withServer(t, ECHO);
  const { client } = await openSio(srv.port, { readAuth: true });
  t.after(() => client.terminate());
  const a = Buffer.from([1, 2, 3]);
  const b = Buffer.alloc(70000, 7);
  await client.send(`452-["message","x",{"k":${PH(0)}},[${PH(1)},1.50]]`);
  await client.send(a);
  await client.send(b);
  assert.equal(await client.nextText(), `452-["message-back","x",{"k":${PH(0)}},[${PH(1)},1.50]]`);
  assert.deepEqual(await client.nextBinary(), a);
  assert.deepEqual(await client.nextBinary(), b);
  // an empty attachment is still an attachment
  await client.send(`451-["message",${PH(0)}]`);
  await client.send(Buffer.alloc(0));
  assert.equal(await client.nextText(), `451-["message-back",${PH(0)}]`);
  assert.equal((await client.nextBinary()).length, 0);
});

test('binary ack: 451-<id>["message-with-ack",...] → 461-<id>[...] + bytes', async (t) => {
  const srv = await withServer(t, ECHO);
  const { client } = await openSio(srv.port, { readAuth: true });
  t.after(() => client.terminate());
  await client.send(`451-789["message-with-ack",${PH(0)},"s"]`);
  await client.send(Buffer.from('hi'));
  assert.equal(await client.nextText(), `461-789[${PH(0)},"s"]`);
  assert.deepEqual(await client.nextBinary(), Buffer.from('hi'));
});

test('b<base64> text frames are accepted as attachments', async (t) => {
  const srv = await withServer(t, ECHO);
  const { client } = await openSio(srv.port, { readAuth: true });
  t.after(() => client.terminate());
  await client.send(`451-["message",${PH(0)}]`);
  await client.send('bAQID');
  assert.equal(await client.nextText(), `451-["message-back",${PH(0)}]`);
  assert.deepEqual(await client.nextBinary(), Buffer.from([1, 2, 3]));
});

test('a binary header announcing 0 attachments is handled at once', async (t) => {
  const srv = await withServer(t, ECHO);
  const { client } = await openSio(srv.port, { readAuth: true });
  t.after(() => client.terminate());
  await client.send('450-["message","x"]');
  assert.match(await client.nextText(), /^4(?:2|50-)\["message-back","x"\]$/);
  await client.send('450-5["message-with-ack","y"]');
  assert.match(await client.nextText(), /^4(?:3|60-)5\["y"\]$/);
  await client.send('42["message","z"]');
  assert.equal(await client.nextText(), '42["message-back","z"]');
});

test('b64=1: binary goes out as b<base64> text frames', async (t) => {
  const srv = await withServer(t, ECHO);
  const { client } = await openSio(srv.port, { readAuth: true, query: 'EIO=4&transport=websocket&b64=1' });
  t.after(() => client.terminate());
  await client.send(`451-["message",${PH(0)}]`);
  await client.send(Buffer.from([1, 2]));
  assert.equal(await client.nextText(), `451-["message-back",${PH(0)}]`);
  assert.equal(await client.nextText(), 'bAQI=');
});

test('socket.io-client: Buffers round-trip in events and acks', async (t) => {
  const srv = await withServer(t, ECHO);
  const socket = io(`http://127.0.0.1:${srv.port}`, { transports: ['websocket'], reconnection: false, timeout: 3000 });
  t.after(() => socket.close());
  await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('connect_error', reject); });
  const payload = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 256));
  const back = new Promise((resolve) => socket.once('message-back', (...args) => resolve(args)));
  socket.emit('message', 'bin', payload, { nested: Buffer.from([9]) });
  const [name, buf, obj] = await back;
  assert.equal(name, 'bin');
  assert.deepEqual(Buffer.from(buf), payload);
  assert.deepEqual(Buffer.from(obj.nested), Buffer.from([9]));
  const ack = await socket.timeout(3000).emitWithAck('message-with-ack', Buffer.from('ack-bytes'));
  assert.deepEqual(Buffer.from(ack), Buffer.from('ack-bytes'));
});
