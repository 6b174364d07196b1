// Engine.IO v4 over WebSocket: open packet, packet types from the client,
// close codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withServer, sleep } from './lib/server.mjs';
import { RawClient, openEio, openSio } from './lib/rawclient.mjs';

const OPEN_RE = /^0\{"sid":"([^"]{20})","upgrades":\[\],"pingInterval":(\d+),"pingTimeout":(\d+),"maxPayload":(\d+)\}$/;

test('open packet: exact shape, configured timers and maxPayload, unique sids', async (t) => {
  const srv = await withServer(t, { flags: { '--ping-interval-ms': '700', '--ping-timeout-ms': '600', '--max-payload': '12345' } });
  const sids = new Set();
  for (let i = 0; i < 3; i++) {
    const { client, openFrame } = await openEio(srv.port);
    t.after(() => client.terminate());
    const m = OPEN_RE.exec(openFrame);
    assert.ok(m, `open packet ${openFrame}`);
    assert.deepEqual([m[2], m[3], m[4]], ['700', '600', '12345']);
    assert.match(m[1], /^[A-Za-z0-9_-]{20}$/, 'sid is 20 URL-safe chars');
    sids.add(m[1]);
  }
  assert.equal(sids.size, 3, 'every session has its own sid');
});

test('open packet defaults: maxPayload 1000000', async (t) => {
  const srv = await withServer(t);
  const { client, open } = await openEio(srv.port);
  t.after(() => client.terminate());
  assert.equal(open.maxPayload, 1000000);
  assert.equal(open.pingInterval, 300);
  assert.equal(open.pingTimeout, 200);
});

test('Engine.IO params accepted in any order, with extra params, on any /socket.io/ suffix', async (t) => {
  const srv = await withServer(t);
  for (const [path, query] of [
    ['/socket.io/', 'transport=websocket&EIO=4'],
    ['/socket.io/', 'EIO=4&transport=websocket&t=abc&token=xyz'],
    ['/socket.io/x', 'EIO=4&transport=websocket'],
  ]) {
    const { client, openFrame } = await openEio(srv.port, { path, query });
    assert.match(openFrame, OPEN_RE, `${path}?${query}`);
    client.terminate();
  }
});

test('a 1 (close) from the client closes with 1000', async (t) => {
  const srv = await withServer(t, { flags: { '--app': 'echo' } });
  const { client } = await openSio(srv.port, { readAuth: true });
  await client.send('1');
  const { code } = await client.nextClose(2000);
  assert.equal(code, 1000);
});

test('a 2 (ping) from the client closes the connection (protocol error)', async (t) => {
  const srv = await withServer(t, { flags: { '--app': 'echo' } });
  for (const frame of ['2', '2probe']) {
    const { client } = await openSio(srv.port, { readAuth: true });
    await client.send(frame);
    const { code } = await client.nextClose(2000);
    assert.ok([1002, 1008].includes(code), `${frame}: close code ${code}`);
  }
});

test('unparseable Engine.IO frames close with 1002', async (t) => {
  const srv = await withServer(t, { flags: { '--app': 'echo' } });
  for (const frame of ['abc', '', '9', '7x', 'x42["message"]']) {
    const { client } = await openEio(srv.port);
    await client.send(frame);
    const { code } = await client.nextClose(2000);
    assert.equal(code, 1002, `frame ${JSON.stringify(frame)}`);
  }
});

test('5 (upgrade) and 6 (noop) from the client are ignored', async (t) => {
  const srv = await withServer(t, { flags: { '--app': 'echo' } });
  const { client } = await openEio(srv.port);
  t.after(() => client.terminate());
  await client.send('5');
  await client.send('6');
  await client.send('6');
  await client.expectSilence(300);
  const sid = await client.connect('/');
  assert.equal(typeof sid, 'string');
  assert.equal(await client.nextText(), '42["auth",{}]');
  await client.send('5');
  await client.send('42["message","after"]');
  assert.equal(await client.nextText(), '42["message-back","after"]');
});

test('the server stays silent until the client speaks (no unsolicited frames besides open and ping)', async (t) => {
  const srv = await withServer(t, { flags: { '--app': 'echo', '--ping-interval-ms': '5000', '--ping-timeout-ms': '5000' } });
  const { client } = await openEio(srv.port, { autoPong: false });
  t.after(() => client.terminate());
  await client.expectSilence(500);
});
