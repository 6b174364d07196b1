// Server-driven heartbeat: ping every pingInterval, pong restarts the
// interval, missing pong closes with 1000.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withServer, sleep, waitUntil } from './lib/server.mjs';
import { openEio, openSio } from './lib/rawclient.mjs';

test('the server pings every pingInterval while the client answers, and keeps the session', async (t) => {
  const srv = await withServer(t, { flags: { '--app': 'echo' } }); // 300 / 200
  const { client } = await openSio(srv.port, { readAuth: true, autoPong: true });
  t.after(() => client.terminate());
  const t0 = Date.now();
  await waitUntil(() => client.pings >= 4, 10000, 'four pings');
  // Pings never come faster than the interval (a loaded machine only makes them later).
  const dt = Date.now() - t0;
  assert.ok(dt >= 3 * 300 - 50, `four pings after ${dt} ms with a 300 ms interval`);
  assert.equal(client.isClosed, false, 'session still open after answered pings');
  await client.send('42["message","alive"]');
  assert.equal(await client.nextText(), '42["message-back","alive"]');
});

test('ping frames are exactly "2" and the first one comes after about pingInterval', async (t) => {
  const srv = await withServer(t, { flags: { '--ping-interval-ms': '600', '--ping-timeout-ms': '1000', '--connect-timeout-ms': '10000' } });
  const t0 = Date.now();
  const { client } = await openEio(srv.port, { autoPong: false });
  t.after(() => client.terminate());
  assert.equal(await client.nextText(3000), '2');
  const dt = Date.now() - t0;
  assert.ok(dt >= 500, `first ping after ${dt} ms (interval 600)`);
  await client.send('3');
  assert.equal(await client.nextText(3000), '2');
  await client.send('3');
  assert.equal(client.isClosed, false);
});

test('no pong: the server pings, then closes with 1000 within pingTimeout (bounded)', async (t) => {
  const srv = await withServer(t); // 300 / 200
  const t0 = Date.now();
  const { client } = await openEio(srv.port, { autoPong: false });
  assert.equal(await client.nextText(2000), '2');
  const { code } = await client.nextClose(3000);
  const dt = Date.now() - t0;
  assert.equal(code, 1000);
  assert.ok(dt >= 400, `closed ${dt} ms after open, before interval+timeout`);
});

test('a silent Socket.IO client is disconnected too (traffic is not a pong)', async (t) => {
  const srv = await withServer(t, { flags: { '--app': 'echo' } });
  const { client } = await openSio(srv.port, { readAuth: true, autoPong: false });
  // keep sending events: they must not count as pongs
  let closed = false;
  client.nextClose(4000).then(() => { closed = true; }, () => {});
  const t0 = Date.now();
  while (!closed && Date.now() - t0 < 3000) {
    try { await client.send('42["message","x"]'); } catch { break; }
    await sleep(50); // the client's pace
  }
  const { code } = await client.nextClose(3000);
  assert.equal(code, 1000);
  assert.ok(client.frames.some((f) => f.data === '2'), 'a ping was sent before the close');
});

test('an unsolicited pong restarts the ping interval', async (t) => {
  const srv = await withServer(t, { flags: { '--ping-interval-ms': '1000', '--ping-timeout-ms': '1000', '--connect-timeout-ms': '10000' } });
  const { client } = await openEio(srv.port, { autoPong: false });
  t.after(() => client.terminate());
  await sleep(600); // time passing before the unsolicited pong (the assertion is a lower bound)
  const tPong = Date.now();
  await client.send('3');
  assert.equal(await client.nextText(3000), '2');
  const dt = Date.now() - tPong;
  // without the restart the ping would come ~400 ms after the pong
  assert.ok(dt >= 900, `ping came ${dt} ms after the unsolicited pong (interval 1000)`);
});

test('answering late (after the timeout) is too late: closed with 1000', async (t) => {
  const srv = await withServer(t, { flags: { '--ping-interval-ms': '300', '--ping-timeout-ms': '300' } });
  const { client } = await openEio(srv.port, { autoPong: false });
  assert.equal(await client.nextText(2000), '2');
  const { code } = await client.nextClose(3000);
  assert.equal(code, 1000);
  await assert.rejects(client.send('3'));
});
