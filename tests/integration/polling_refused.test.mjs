// Engine.IO handshake refusals under /socket.io/: exact status, content type
// and JSON body, in the specified check order, for plain HTTP and Upgrade.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withServer } from './lib/server.mjs';
import { request } from './lib/http.mjs';
import { RawClient, UpgradeRefused } from './lib/rawclient.mjs';

const BODY = {
  0: String.raw`{"code":0,"message":"Transport unknown","hint":"This server accepts only the websocket transport (HTTP long-polling is not supported); configure the Socket.IO client with transports: [\"websocket\"]."}`,
  1: '{"code":1,"message":"Session ID unknown"}',
  2: '{"code":2,"message":"Bad handshake method"}',
  3: '{"code":3,"message":"Bad request"}',
  5: '{"code":5,"message":"Unsupported protocol version"}',
};

// [method, path, upgrade, expected code]
const CASES = [
  // transport not websocket comes first, whatever else is wrong
  ['GET', '/socket.io/?EIO=4&transport=polling', false, 0],
  ['GET', '/socket.io/?EIO=4', false, 0],
  ['GET', '/socket.io/?EIO=4&transport=abc', false, 0],
  ['GET', '/socket.io/?EIO=3&transport=polling', false, 0],
  ['GET', '/socket.io/?EIO=4&transport=polling&sid=abc', false, 0],
  ['POST', '/socket.io/?EIO=4&transport=polling', false, 0],
  ['GET', '/socket.io/?EIO=4&transport=polling&t=N1x2', false, 0],
  ['GET', '/socket.io/?EIO=4&transport=polling', true, 0],
  ['GET', '/socket.io/?EIO=4', true, 0],
  ['GET', '/socket.io/?transport=xhr&EIO=4', true, 0],
  // then sid
  ['GET', '/socket.io/?EIO=4&transport=websocket&sid=nope', false, 1],
  ['GET', '/socket.io/?EIO=4&transport=websocket&sid=nope', true, 1],
  ['POST', '/socket.io/?EIO=4&transport=websocket&sid=x', false, 1],
  // then method
  ['POST', '/socket.io/?EIO=4&transport=websocket', false, 2],
  ['PUT', '/socket.io/?EIO=3&transport=websocket', false, 2],
  // then the upgrade itself
  ['GET', '/socket.io/?EIO=4&transport=websocket', false, 3],
  ['GET', '/socket.io/?EIO=3&transport=websocket', false, 3],
  // then the protocol version (no 101)
  ['GET', '/socket.io/?EIO=3&transport=websocket', true, 5],
  ['GET', '/socket.io/?EIO=5&transport=websocket', true, 5],
  ['GET', '/socket.io/?EIO=abc&transport=websocket', true, 5],
  ['GET', '/socket.io/?EIO=&transport=websocket', true, 5],
  ['GET', '/socket.io/bar?transport=websocket&EIO=3', true, 5],
];

test('Engine.IO handshake refusals: status 400, application/json, exact body', async (t) => {
  const srv = await withServer(t);
  for (const [method, path, upgrade, code] of CASES) {
    const what = `${method} ${path}${upgrade ? ' (Upgrade)' : ''}`;
    const res = await request({ port: srv.port, method, path, upgrade, body: method === 'POST' || method === 'PUT' ? '' : undefined });
    assert.equal(res.status, 400, `${what}: status`);
    assert.match(String(res.headers['content-type']), /^application\/json\b/, `${what}: content-type`);
    assert.equal(res.body, BODY[code], `${what}: body`);
  }
});

test('the hint body is valid JSON naming transports: ["websocket"]', () => {
  const parsed = JSON.parse(BODY[0]);
  assert.equal(parsed.code, 0);
  assert.ok(parsed.hint.includes('transports: ["websocket"]'));
});

test('a WebSocket client is refused before any 101 for polling and EIO=3', async (t) => {
  const srv = await withServer(t);
  for (const [query, code] of [['EIO=4&transport=polling', 0], ['EIO=3&transport=websocket', 5], ['EIO=4&transport=websocket&sid=abc', 1]]) {
    await assert.rejects(RawClient.open(`${srv.wsUrl}/socket.io/?${query}`), (e) => {
      assert.ok(e instanceof UpgradeRefused, `${query}: ${e.message}`);
      assert.equal(e.status, 400, query);
      assert.equal(e.body, BODY[code], query);
      return true;
    });
  }
});

test('a default socket.io-client (polling first) gets the 400 Transport unknown body', async (t) => {
  const { io } = await import('./lib/deps.mjs');
  const srv = await withServer(t);
  const socket = io(`http://127.0.0.1:${srv.port}`, { reconnection: false, timeout: 3000 });
  t.after(() => socket.close());
  const err = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no connect_error within 5 s')), 5000);
    socket.on('connect', () => { clearTimeout(timer); reject(new Error('polling client connected')); });
    socket.on('connect_error', (e) => { clearTimeout(timer); resolve(e); });
  });
  assert.equal(err.context?.status, 400, `connect_error: ${err.message}`);
  assert.match(err.message, /xhr poll error/);
});
