// What docs/deploy.md promises a platform: the PORT variable, the health
// check, the page and client bundle, and SIGTERM closing every connection
// with 1001 before a clean exit.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { freePort, importFromClients, startServer, waitFor } from './lib/fixture.mjs';

const servers = [];
after(async () => {
  await Promise.all(servers.map((s) => s.stop({ timeoutMs: 3000 })));
});
async function server(options) {
  const s = await startServer(options);
  servers.push(s);
  return s;
}

test('the PORT environment variable sets the port when --port is absent', async () => {
  const port = await freePort();
  const s = await server({ port: null, env: { PORT: String(port) } });
  assert.equal(s.port, port);
  const res = await fetch(`${s.httpUrl}/cache-healthcheck?`);
  assert.equal(res.status, 200);
});

test('GET /cache-healthcheck? answers 200 ok', async () => {
  const s = await server({ tickMs: 50 });
  for (const target of ['/cache-healthcheck?']) {
    const res = await fetch(`${s.httpUrl}${target}`);
    assert.equal(res.status, 200, target);
    assert.equal((await res.text()).trim(), 'ok', target);
  }
});

test('GET / serves the demo page and /socket.io/socket.io.min.js the client bundle', async () => {
  const s = await server({ tickMs: 50 });
  const page = await fetch(`${s.httpUrl}/`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type'), /^text\/html/);
  assert.match(await page.text(), /<script src="\/socket.io\/socket.io.min.js"><\/script>/);
  const bundle = await fetch(`${s.httpUrl}/socket.io/socket.io.min.js`);
  assert.equal(bundle.status, 200);
  assert.match(bundle.headers.get('content-type'), /javascript/);
  assert.match(await bundle.text(), /Socket\.IO v4\.8\.4/);
});

test('SIGTERM closes Socket.IO and plain connections with 1001, then exits 0', async () => {
  const { default: WebSocket } = await importFromClients('ws');
  const s = await server({ tickMs: 20 });
  const open = (url, onOpen) =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      const frames = [];
      const closed = new Promise((res) => ws.once('close', (code) => res(code)));
      ws.once('error', reject);
      ws.on('message', (d) => frames.push(d.toString()));
      ws.once('open', () => {
        onOpen?.(ws);
        resolve({ ws, frames, closed });
      });
    });
  const plain = await open(`${s.wsUrl}/_ws/`);
  const sio = await open(`${s.wsUrl}/socket.io/?EIO=4&transport=websocket`, (ws) => ws.send('40'));
  await waitFor(() => plain.frames.length >= 2 && sio.frames.some((f) => f.startsWith('42')), { what: 'frames on both' });
  const exit = await s.stop();
  const codes = await Promise.race([
    Promise.all([plain.closed, sio.closed]),
    new Promise((_, reject) => setTimeout(() => reject(new Error('no close within 5 s')), 5000)),
  ]);
  assert.deepEqual(codes, [1001, 1001]);
  assert.deepEqual({ code: exit.code, killed: exit.killed }, { code: 0, killed: false });
});
