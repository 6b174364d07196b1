// Socket.IO namespace connection: CONNECT replies, invalid namespace,
// connect timeout and invalid-state closes (1008).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withServer } from './lib/server.mjs';
import { openEio, openSio } from './lib/rawclient.mjs';

const SIO_SID = /^[A-Za-z0-9_-]+$/;

test('40 → 40{"sid":...} (not the Engine.IO sid), then the auth event', async (t) => {
  const srv = await withServer(t, { flags: { '--app': 'echo' } });
  const { client, open } = await openEio(srv.port);
  t.after(() => client.terminate());
  await client.send('40');
  const reply = await client.nextText();
  const m = /^40\{"sid":"([^"]+)"\}$/.exec(reply);
  assert.ok(m, `CONNECT reply ${reply}`);
  assert.match(m[1], SIO_SID);
  assert.notEqual(m[1], open.sid, 'Socket.IO sid differs from the Engine.IO sid');
  assert.equal(await client.nextText(), '42["auth",{}]');
});

test('CONNECT with auth: the auth object is echoed byte for byte', async (t) => {
  const srv = await withServer(t, { flags: { '--app': 'echo' } });
  const { client } = await openEio(srv.port);
  t.after(() => client.terminate());
  await client.send('40{"token":"123","n":1.50,"nested":{"b":[1,2],"a":null}}');
  assert.match(await client.nextText(), /^40\{"sid":"[^"]+"\}$/);
  assert.equal(await client.nextText(), '42["auth",{"token":"123","n":1.50,"nested":{"b":[1,2],"a":null}}]');
});

test('40/custom, → 40/custom,{"sid":...} then 42/custom,["auth",...]; also without the comma', async (t) => {
  const srv = await withServer(t, { flags: { '--app': 'echo' } });
  for (const [frame, auth] of [['40/custom,', '{}'], ['40/custom,{"token":"abc"}', '{"token":"abc"}'], ['40/custom', '{}']]) {
    const { client } = await openEio(srv.port);
    await client.send(frame);
    assert.match(await client.nextText(), /^40\/custom,\{"sid":"[A-Za-z0-9_-]+"\}$/, frame);
    assert.equal(await client.nextText(), `42/custom,["auth",${auth}]`, frame);
    client.terminate();
  }
});

test('two namespaces on one connection get distinct sids and both work', async (t) => {
  const srv = await withServer(t, { flags: { '--app': 'echo' } });
  const { client } = await openEio(srv.port);
  t.after(() => client.terminate());
  const a = await client.connect('/');
  assert.equal(await client.nextText(), '42["auth",{}]');
  const b = await client.connect('/custom');
  assert.equal(await client.nextText(), '42/custom,["auth",{}]');
  assert.notEqual(a, b);
  await client.send('42["message","x"]');
  assert.equal(await client.nextText(), '42["message-back","x"]');
});

test('unknown namespace → 44/random,{"message":"Invalid namespace"}, connection stays open', async (t) => {
  const srv = await withServer(t, { flags: { '--app': 'echo' } });
  const { client } = await openEio(srv.port);
  t.after(() => client.terminate());
  await client.send('40/random,');
  assert.equal(await client.nextText(), '44/random,{"message":"Invalid namespace"}');
  await client.send('40/other,{"token":"x"}');
  assert.equal(await client.nextText(), '44/other,{"message":"Invalid namespace"}');
  await client.connect('/');
  assert.equal(await client.nextText(), '42["auth",{}]');
  await client.send('42["message",1]');
  assert.equal(await client.nextText(), '42["message-back",1]');
});

test('integers app: /custom is not a namespace there', async (t) => {
  const srv = await withServer(t, { flags: { '--app': 'integers' } });
  const { client } = await openEio(srv.port);
  t.after(() => client.terminate());
  await client.send('40/custom,');
  assert.equal(await client.nextText(), '44/custom,{"message":"Invalid namespace"}');
});

test('no CONNECT within the connect timeout → close 1008 (pongs do not count)', async (t) => {
  const srv = await withServer(t); // connect timeout 1000, pings answered
  const t0 = Date.now();
  const { client } = await openEio(srv.port, { autoPong: true });
  const { code } = await client.nextClose(4000);
  const dt = Date.now() - t0;
  assert.equal(code, 1008);
  assert.ok(dt >= 900, `closed after ${dt} ms with a 1000 ms connect timeout`);
  assert.ok(client.pings >= 1, 'pings were answered meanwhile');
});

test('a CONNECT that failed (invalid namespace) does not stop the connect timeout', async (t) => {
  const srv = await withServer(t);
  const { client } = await openEio(srv.port, { autoPong: true });
  await client.send('40/nope,');
  assert.equal(await client.nextText(), '44/nope,{"message":"Invalid namespace"}');
  const { code } = await client.nextClose(4000);
  assert.equal(code, 1008);
});

test('a joined namespace keeps the connection beyond the connect timeout', async (t) => {
  const srv = await withServer(t, { flags: { '--app': 'echo' } });
  const { client } = await openSio(srv.port, { readAuth: true, autoPong: true });
  t.after(() => client.terminate());
  await client.expectSilence(1800);
  assert.equal(client.isClosed, false);
});

// Invalid Socket.IO state → close 1008. [name, frames, number of leading CONNECTs that succeed]
const STATE_CASES = [
  ['second 40 for /', ['40', '40'], 1],
  ['second 40/custom,', ['40/custom,', '40/custom,'], 1],
  ['42 before 40', ['42["message","x"]'], 0],
  ['42 with ack before 40', ['421["message-with-ack"]'], 0],
  ['42/custom, without joining /custom', ['40', '42/custom,["message","x"]'], 1],
  ['42 on / after joining only /custom', ['40/custom,', '42["message","x"]'], 1],
  ['43 (ack) before 40', ['430[]'], 0],
  ['41 before 40', ['41'], 0],
  ['CONNECT_ERROR (44) from the client', ['40', '44{"message":"x"}'], 1],
];

for (const [name, frames, replies] of STATE_CASES) {
  test(`invalid state closes with 1008: ${name}`, async (t) => {
    const srv = await withServer(t, { flags: { '--app': 'echo' } });
    const { client } = await openEio(srv.port);
    const bystander = await openSio(srv.port, { readAuth: true });
    t.after(() => bystander.client.terminate());
    const got = [];
    for (const f of frames) {
      await client.send(f);
      // each successful CONNECT yields the reply and the auth event
      if (f.startsWith('40') && got.length < replies * 2) { got.push(await client.nextText()); got.push(await client.nextText()); }
    }
    const { code } = await client.nextClose(2000);
    assert.equal(code, 1008, `${name}: frames before close ${JSON.stringify(got)} / ${JSON.stringify(client.frames)}`);
    await bystander.client.send('42["message","ok"]');
    assert.equal(await bystander.client.nextText(), '42["message-back","ok"]');
  });
}

test('41 leaves the namespace without a reply; the connection stays open and 40 works again', async (t) => {
  const srv = await withServer(t, { flags: { '--app': 'echo', '--connect-timeout-ms': '5000' } });
  const { client } = await openSio(srv.port, { readAuth: true });
  t.after(() => client.terminate());
  await client.send('41');
  await client.expectSilence(400);
  await client.connect('/');
  assert.equal(await client.nextText(), '42["auth",{}]');
  await client.send('42["message","again"]');
  assert.equal(await client.nextText(), '42["message-back","again"]');
});
