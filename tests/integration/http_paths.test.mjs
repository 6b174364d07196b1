// HTTP routing: the health check, accepted WebSocket prefixes, 404 for every
// other upgrade path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withServer } from './lib/server.mjs';
import { request } from './lib/http.mjs';
import { RawClient, UpgradeRefused } from './lib/rawclient.mjs';

test('GET and HEAD /cache-healthcheck answer 200 ok', async (t) => {
  const srv = await withServer(t);
  for (const path of ['/cache-healthcheck', '/cache-healthcheck?']) {
    const get = await request({ port: srv.port, path });
    assert.equal(get.status, 200, `GET ${path}`);
    assert.equal(get.body, 'ok', `GET ${path} body`);
    const head = await request({ port: srv.port, method: 'HEAD', path });
    assert.equal(head.status, 200, `HEAD ${path}`);
    assert.equal(head.body, '', `HEAD ${path} has no body`);
  }
});

test('upgrades outside /_ws/ and /socket.io/ get 404 naming the allowed prefixes', async (t) => {
  const srv = await withServer(t);
  for (const path of ['/_ws', '/socket.io', '/liveblog/_ws/', '/', '/socket.io?EIO=4&transport=websocket', '/other/socket.io/']) {
    const res = await request({ port: srv.port, path, upgrade: true });
    assert.equal(res.status, 404, `upgrade ${path}`);
    assert.ok(res.body.includes('/_ws/'), `404 body for ${path} names /_ws/: ${JSON.stringify(res.body)}`);
    assert.ok(res.body.includes('/socket.io/'), `404 body for ${path} names /socket.io/: ${JSON.stringify(res.body)}`);
    // and the same through a real WebSocket client
    await assert.rejects(RawClient.open(`${srv.wsUrl}${path}`), (e) => e instanceof UpgradeRefused && e.status === 404, `ws client on ${path}`);
  }
  // the server still serves afterwards
  assert.equal((await request({ port: srv.port, path: '/cache-healthcheck' })).status, 200);
});

test('upgrades under /_ws/ and /socket.io/ are accepted (101)', async (t) => {
  const srv = await withServer(t);
  for (const path of ['/_ws/', '/_ws/foo', '/_ws/a/b?x=1', '/socket.io/', '/socket.io/bar', '/socket.io/?EIO=4&transport=websocket']) {
    const res = await request({ port: srv.port, path, upgrade: true });
    assert.equal(res.status, 101, `upgrade ${path}`);
  }
});

test('each refused request is logged, nothing is logged per tick', async (t) => {
  const srv = await withServer(t, { flags: { '--tick-ms': '20' } });
  const before = srv.lines.length;
  await request({ port: srv.port, path: '/nope', upgrade: true });
  await srv.waitForLog(/./, 2000, { from: before });
  assert.ok(srv.lines.length > before, 'a refused upgrade adds a log line');

  // A plain-stream client receives ~50 ticks in 1 s; the log must not grow with them.
  const c = await RawClient.open(`${srv.wsUrl}/_ws/`);
  t.after(() => c.terminate());
  await c.next(2000);
  const afterOpen = srv.lines.length;
  let frames = 1;
  const t0 = Date.now();
  while (Date.now() - t0 < 1000) { await c.next(2000); frames++; }
  assert.ok(frames >= 10, `received ${frames} ticks`);
  const grown = srv.lines.length - afterOpen;
  assert.ok(grown <= 2, `log grew by ${grown} lines during ${frames} ticks:\n${srv.lines.slice(afterOpen).join('\n')}`);
  const beforeClose = srv.lines.length;
  await c.dispose();
  await srv.waitForLog(/./, 2000, { from: beforeClose });
});
