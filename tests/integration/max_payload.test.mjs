// --max-payload: advertised in the open packet; a message of exactly that size
// is accepted, one byte more closes with 1009 (text and binary).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withServer } from './lib/server.mjs';
import { openSio } from './lib/rawclient.mjs';

const LIMIT = 1000;
const FLAGS = { flags: { '--app': 'echo', '--max-payload': String(LIMIT) } };

// a 42["message","xxx…"] text frame of exactly n bytes
function eventOfSize(n) {
  const head = '42["message","';
  const tail = '"]';
  return head + 'x'.repeat(n - head.length - tail.length) + tail;
}

test('open packet advertises --max-payload', async (t) => {
  const srv = await withServer(t, FLAGS);
  const { client, open } = await openSio(srv.port, { readAuth: true });
  t.after(() => client.terminate());
  assert.equal(open.maxPayload, LIMIT);
});

test('a text message of exactly maxPayload bytes is accepted', async (t) => {
  const srv = await withServer(t, FLAGS);
  const { client } = await openSio(srv.port, { readAuth: true });
  t.after(() => client.terminate());
  const frame = eventOfSize(LIMIT);
  assert.equal(Buffer.byteLength(frame), LIMIT);
  await client.send(frame);
  assert.equal(await client.nextText(), frame.replace('"message"', '"message-back"'));
});

test('a text message of maxPayload+1 bytes closes with 1009, others unaffected', async (t) => {
  const srv = await withServer(t, FLAGS);
  const bystander = await openSio(srv.port, { readAuth: true });
  t.after(() => bystander.client.terminate());
  const { client } = await openSio(srv.port, { readAuth: true });
  await client.send(eventOfSize(LIMIT + 1));
  const { code } = await client.nextClose(2000);
  assert.equal(code, 1009);
  await bystander.client.send('42["message","ok"]');
  assert.equal(await bystander.client.nextText(), '42["message-back","ok"]');
});

test('a much larger text message (100 kB) closes with 1009', async (t) => {
  const srv = await withServer(t, FLAGS);
  const { client } = await openSio(srv.port, { readAuth: true });
  await client.send(eventOfSize(100000));
  assert.equal((await client.nextClose(2000)).code, 1009);
});

test('binary attachments: exactly maxPayload accepted, maxPayload+1 closes with 1009', async (t) => {
  const srv = await withServer(t, FLAGS);
  const { client } = await openSio(srv.port, { readAuth: true });
  const ph = '{"_placeholder":true,"num":0}';
  await client.send(`451-["message",${ph}]`);
  await client.send(Buffer.alloc(LIMIT, 1));
  assert.equal(await client.nextText(), `451-["message-back",${ph}]`);
  assert.equal((await client.nextBinary()).length, LIMIT);
  await client.send(`451-["message",${ph}]`);
  await client.send(Buffer.alloc(LIMIT + 1, 1));
  assert.equal((await client.nextClose(2000)).code, 1009);
});

test('default maxPayload 1000000: 1000000 bytes accepted, 1000001 closes with 1009', async (t) => {
  const srv = await withServer(t, { flags: { '--app': 'echo' } });
  const { client } = await openSio(srv.port, { readAuth: true });
  await client.send(eventOfSize(1000000));
  const back = await client.nextText(5000);
  assert.equal(back.length, 1000000 + '-back'.length);
  await client.send(eventOfSize(1000001));
  assert.equal((await client.nextClose(3000)).code, 1009);
});
