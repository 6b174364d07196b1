// SIGTERM / SIGINT: every connection closed with 1001, exit code 0 within 5 s.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withServer } from './lib/server.mjs';
import { RawClient, openSio, openEio } from './lib/rawclient.mjs';
import { request } from './lib/http.mjs';
import { io } from './lib/deps.mjs';

for (const [signal, app] of [['SIGTERM', 'integers'], ['SIGINT', 'integers'], ['SIGTERM', 'echo']]) {
  test(`${signal} (${app}): clients see close 1001, exit code 0 within 5 s`, async (t) => {
    const srv = await withServer(t, { flags: { '--app': app, '--connect-timeout-ms': '10000' } });
    const clients = [];
    clients.push((await openSio(srv.port, { readAuth: app === 'echo' })).client);
    clients.push((await openEio(srv.port)).client); // no namespace joined
    if (app === 'echo') clients.push((await openSio(srv.port, { nsp: '/custom', readAuth: true })).client);
    else {
      clients.push(await RawClient.open(`${srv.wsUrl}/_ws/`));
      clients.push(await RawClient.open(`${srv.wsUrl}/socket.io/bar`));
    }
    for (const c of clients) t.after(() => c.terminate());
    const sock = io(`http://127.0.0.1:${srv.port}`, { transports: ['websocket'], reconnection: false, timeout: 3000 });
    t.after(() => sock.close());
    await new Promise((resolve, reject) => { sock.once('connect', resolve); sock.once('connect_error', reject); });
    const disconnected = new Promise((resolve) => sock.once('disconnect', resolve));

    const closes = clients.map((c) => c.nextClose(5000));
    const exit = await srv.stop({ signal, timeoutMs: 5000 });
    assert.equal(exit.code, 0, `exit ${JSON.stringify(exit)}`);
    assert.equal(exit.signal, null);
    assert.ok(exit.elapsedMs < 5000);
    const infos = await Promise.all(closes);
    infos.forEach((info, i) => assert.equal(info.code, 1001, `client ${i}: close ${JSON.stringify(info)}`));
    const reason = await Promise.race([disconnected, new Promise((r) => setTimeout(() => r('timeout'), 3000))]);
    assert.notEqual(reason, 'timeout', 'socket.io-client saw the disconnect');
    // stopped accepting
    await assert.rejects(request({ port: srv.port, path: '/cache-healthcheck', timeoutMs: 1000 }));
  });
}

test('SIGTERM with no client: exit code 0 within 5 s', async (t) => {
  const srv = await withServer(t);
  const exit = await srv.stop({ signal: 'SIGTERM', timeoutMs: 5000 });
  assert.deepEqual([exit.code, exit.signal], [0, null]);
});
