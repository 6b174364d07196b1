// Security: browser origins (--allowed-origins), the token (--auth-token and
// BEASTIO_AUTH_TOKEN) for Socket.IO and the plain stream, TLS on the same port
// (a certificate made at run time, trusted by socket.io-client), and request
// text that never comes back unescaped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { withServer } from './lib/server.mjs';
import { RawClient, UpgradeRefused, openEio, EIO_QUERY } from './lib/rawclient.mjs';
import { request } from './lib/http.mjs';
import { io, WebSocket } from './lib/deps.mjs';

const once = (emitter, event, timeoutMs = 5000) => new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`no ${event} within ${timeoutMs} ms`)), timeoutMs);
  emitter.once(event, (...args) => { clearTimeout(timer); resolve(args); });
});

// ---- origins ----

test('--allowed-origins: a listed origin and no Origin are served, any other gets 403 with a reason', async (t) => {
  const srv = await withServer(t, { flags: { '--allowed-origins': 'https://good.example,http://localhost:8080' } });
  for (const p of ['/_ws/', `/socket.io/?${EIO_QUERY}`]) {
    for (const origin of ['https://good.example', 'HTTPS://GOOD.EXAMPLE', 'http://localhost:8080', undefined]) {
      const headers = origin ? { Origin: origin } : {};
      const r = await request({ port: srv.port, path: p, upgrade: true, headers });
      assert.equal(r.status, 101, `${p} Origin ${origin}`);
    }
    for (const origin of ['https://evil.example', 'https://good.example.evil.example', 'null', 'http://localhost:8081']) {
      const r = await request({ port: srv.port, path: p, upgrade: true, headers: { Origin: origin } });
      assert.equal(r.status, 403, `${p} Origin ${origin}`);
      assert.equal(r.body, `origin ${origin} is not allowed to open WebSocket connections here (see --allowed-origins)\n`);
      assert.equal(r.headers['x-content-type-options'], 'nosniff');
    }
  }
  await srv.waitForLog(/refused .*origin https:\/\/evil\.example not allowed -> 403/);
  // Plain HTTP is not a WebSocket: the page and the health check are served whatever the Origin.
  const hc = await request({ port: srv.port, path: '/cache-healthcheck', headers: { Origin: 'https://evil.example' } });
  assert.equal(hc.status, 200);
});

test('--allowed-origins: socket.io-client from an allowed page origin connects, from another it is refused', async (t) => {
  const srv = await withServer(t, { flags: { '--allowed-origins': 'https://good.example' } });
  const good = io(`http://127.0.0.1:${srv.port}`, { transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: { Origin: 'https://good.example' } });
  t.after(() => good.close());
  await once(good, 'connect');
  const evil = io(`http://127.0.0.1:${srv.port}`, { transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: { Origin: 'https://evil.example' } });
  t.after(() => evil.close());
  const [err] = await once(evil, 'connect_error');
  assert.match(err.message, /websocket error/);
});

// ---- token ----

test('--auth-token: Socket.IO CONNECT needs {token}; wrong or missing gets connect_error "not authorized"', async (t) => {
  const token = 'tok-Secret-123';
  const srv = await withServer(t, { flags: { '--app': 'echo', '--auth-token': token } });
  const url = `http://127.0.0.1:${srv.port}`;
  const opts = { transports: ['websocket'], reconnection: false, forceNew: true };

  const good = io(url, { ...opts, auth: { token, user: 'ann' } });
  t.after(() => good.close());
  const [auth] = await once(good, 'auth');
  assert.deepEqual(auth, { token, user: 'ann' });
  assert.equal(await good.emitWithAck('message-with-ack', 1), 1);

  for (const auth of [undefined, {}, { token: 'wrong' }, { token: 123 }, { token: `${token}x` }, { token: token.slice(0, -1) }]) {
    const bad = io(url, { ...opts, auth });
    const [err] = await once(bad, 'connect_error');
    assert.equal(err.message, 'not authorized', JSON.stringify(auth));
    bad.close();
  }
  // The other namespaces are guarded too.
  const custom = io(`${url}/custom`, { ...opts, auth: { token: 'nope' } });
  const [err] = await once(custom, 'connect_error');
  assert.equal(err.message, 'not authorized');
  custom.close();

  assert.doesNotMatch(srv.log(), new RegExp(token), 'the token never reaches the log');
});

test('--auth-token: the plain stream takes ?token= or Authorization: Bearer, else 401 before any 101', async (t) => {
  const token = 'plain/Secret+1';
  const srv = await withServer(t, { flags: { '--auth-token': token } });
  const q = encodeURIComponent(token);
  assert.equal((await request({ port: srv.port, path: `/_ws/?token=${q}`, upgrade: true })).status, 101);
  assert.equal((await request({ port: srv.port, path: '/_ws/', upgrade: true, headers: { Authorization: `Bearer ${token}` } })).status, 101);
  const none = await request({ port: srv.port, path: '/_ws/', upgrade: true });
  assert.equal(none.status, 401);
  assert.equal(none.headers['www-authenticate'], 'Bearer');
  assert.match(none.body, /requires a token: add \?token=\.\.\. to the URL or send Authorization: Bearer/);
  const wrong = await request({ port: srv.port, path: '/_ws/?token=guess', upgrade: true });
  assert.equal(wrong.status, 401);
  assert.equal(wrong.body, 'invalid token\n');
  const c = await RawClient.open(`${srv.wsUrl}/_ws/?token=${q}`);
  t.after(() => c.terminate());
  assert.match(await c.nextText(3000), /^\d+$/);
  const log = srv.log();
  assert.doesNotMatch(log, /Secret/, 'the token never reaches the log');
  assert.match(log, /token=\*\*\*/);
});

test('BEASTIO_AUTH_TOKEN sets the token without putting it on the command line', async (t) => {
  const srv = await withServer(t, { env: { BEASTIO_AUTH_TOKEN: 'from-env' } });
  const cmdline = fs.readFileSync(`/proc/${srv.child.pid}/cmdline`, 'utf8');
  assert.doesNotMatch(cmdline, /from-env/);
  assert.match(await srv.waitForLog(/listening on/), /auth=token/);
  assert.equal((await request({ port: srv.port, path: '/_ws/', upgrade: true })).status, 401);
  assert.equal((await request({ port: srv.port, path: '/_ws/?token=from-env', upgrade: true })).status, 101);
});

// ---- TLS ----

function makeCert(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'beastio-tls-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
  return { cert, key, ca: fs.readFileSync(cert) };
}

function httpsGet(port, ca, p) {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port, path: p, ca, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error('https timeout')));
  });
}

test('TLS: https:// and wss:// on one port; socket.io-client trusts a certificate made at run time', async (t) => {
  const { cert, key, ca } = makeCert(t);
  const srv = await withServer(t, { flags: { '--tls-cert': cert, '--tls-key': key } });
  assert.match(await srv.waitForLog(/listening on/), /tls=on/);

  const hc = await httpsGet(srv.port, ca, '/cache-healthcheck');
  assert.deepEqual(hc, { status: 200, body: 'ok' });
  const polling = await httpsGet(srv.port, ca, '/socket.io/?EIO=4&transport=polling');
  assert.equal(polling.status, 400);

  const s = io(`https://127.0.0.1:${srv.port}`, { transports: ['websocket'], reconnection: false, forceNew: true, ca });
  t.after(() => s.close());
  const values = [];
  s.on('integer', (n) => values.push(n));
  await once(s, 'connect');
  while (values.length < 3) await once(s, 'integer');
  for (let i = 1; i < values.length; i++) assert.equal(values[i], values[i - 1] + 1);

  // The plain stream over wss://.
  const ws = new WebSocket(`wss://127.0.0.1:${srv.port}/_ws/`, { ca });
  t.after(() => ws.terminate());
  const [data] = await once(ws, 'message');
  assert.match(data.toString(), /^\d+$/);
});

test('TLS: an untrusted certificate is refused by the client; plain HTTP on the TLS port gets a 400', async (t) => {
  const { cert, key } = makeCert(t);
  const srv = await withServer(t, { flags: { '--tls-cert': cert, '--tls-key': key } });

  const s = io(`https://127.0.0.1:${srv.port}`, { transports: ['websocket'], reconnection: false, forceNew: true });
  t.after(() => s.close());
  const [err] = await once(s, 'connect_error');
  assert.ok(err, 'a client without the CA refuses the self-signed certificate');

  const r = await request({ port: srv.port, path: '/cache-healthcheck' });
  assert.equal(r.status, 400);
  assert.equal(r.body, 'This port speaks TLS only: use https:// or wss:// (plain HTTP is refused).\n');
  await assert.rejects(RawClient.open(`${srv.wsUrl}/_ws/`), (e) => e instanceof UpgradeRefused && e.status === 400);
  await srv.waitForLog(/plain HTTP on the TLS port -> 400/);

  // A client that starts a TLS handshake and stops is dropped at the handshake timeout.
  assert.equal(srv.alive, true);
});

test('TLS: a bad certificate path stops the start with a clear message', async (t) => {
  const { runToExit } = await import('./lib/server.mjs');
  const r = await runToExit(['--port', '0', '--address', '127.0.0.1', '--tls-cert', '/nonexistent/cert.pem', '--tls-key', '/nonexistent/key.pem']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /cannot start: cannot use TLS certificate '\/nonexistent\/cert\.pem'/);
  const half = await runToExit(['--tls-cert', 'x.pem']);
  assert.equal(half.code, 2);
  assert.match(half.stderr, /--tls-cert needs --tls-key/);
});

test('TLS: a handshake that stalls is dropped at --handshake-timeout-ms', async (t) => {
  const { cert, key } = makeCert(t);
  const srv = await withServer(t, { flags: { '--tls-cert': cert, '--tls-key': key, '--handshake-timeout-ms': '300' } });
  const s = net.connect(srv.port, '127.0.0.1');
  s.on('error', () => {});
  await once(s, 'connect');
  s.write(Buffer.from([0x16, 0x03, 0x01])); // the start of a ClientHello, then nothing
  await once(s, 'close', 10000);
  // and a real client still gets in
  const ok = await new Promise((resolve, reject) => {
    const c = tls.connect({ host: '127.0.0.1', port: srv.port, rejectUnauthorized: false }, () => { c.end(); resolve(true); });
    c.on('error', reject);
  });
  assert.equal(ok, true);
});

// ---- reflection ----

test('request text in refusal bodies and logs is escaped', async (t) => {
  const srv = await withServer(t);
  // Raw bytes in the path: above ASCII, a backslash, markup.
  const raw = await new Promise((resolve, reject) => {
    const s = net.connect(srv.port, '127.0.0.1', () => {
      s.write(Buffer.concat([
        Buffer.from('GET /x<b>\\'), Buffer.from([0xff, 0xfe]), Buffer.from(' HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n'),
        Buffer.from('Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n')]));
    });
    let data = Buffer.alloc(0);
    s.on('data', (d) => { data = Buffer.concat([data, d]); });
    s.on('end', () => resolve(data));
    s.on('error', reject);
  });
  const text = raw.toString('latin1');
  assert.match(text, /^HTTP\/1\.1 404/);
  assert.ok(!raw.includes(Buffer.from([0xff])), 'no raw byte from the request comes back');
  assert.match(text, /\(not \/x<b>\\x5c\\xff\\xfe\)/);
  assert.match(text, /X-Content-Type-Options: nosniff/i);
  await srv.waitForLog(/refused /);
  for (const line of srv.lines) assert.doesNotMatch(line, /[\u0000-\u0008\u000b-\u001f\u00ff]/);
});
