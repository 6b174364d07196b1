// Every limit of docs/reliability.md at its edge, against the real server:
// at the limit the client is served, one past it gets the documented outcome,
// and a bystander never notices.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { withServer, waitUntil } from './lib/server.mjs';
import { RawClient, openEio, openSio, EIO_QUERY, UpgradeRefused } from './lib/rawclient.mjs';
import { request } from './lib/http.mjs';
import { io } from './lib/deps.mjs';

const PH = (n) => `{"_placeholder":true,"num":${n}}`;

function sioClient(port, opts = {}) {
  const s = io(`http://127.0.0.1:${port}`, { transports: ['websocket'], reconnection: false, forceNew: true, timeout: 5000, ...opts });
  return s;
}
const once = (emitter, event, timeoutMs = 5000) => new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`no ${event} within ${timeoutMs} ms`)), timeoutMs);
  emitter.once(event, (...args) => { clearTimeout(timer); resolve(args); });
});

async function echoBystander(t, port) {
  const b = await openSio(port, { readAuth: true });
  t.after(() => b.client.terminate());
  return async () => {
    await b.client.send('42["message","still here"]');
    assert.equal(await b.client.nextText(3000), '42["message-back","still here"]');
  };
}

test('--max-messages-per-second: a burst at the limit is served, one more closes with 1008', async (t) => {
  const srv = await withServer(t, { flags: { '--app': 'echo', '--max-messages-per-second': '20' } });
  const bystanderOk = await echoBystander(t, srv.port);

  // The CONNECT was the first message: 19 more fill the burst exactly.
  const within = await openSio(srv.port, { readAuth: true });
  t.after(() => within.client.terminate());
  for (let i = 0; i < 19; i++) within.client.send(`42["message",${i}]`);
  for (let i = 0; i < 19; i++) assert.equal(await within.client.nextText(), `42["message-back",${i}]`);

  const flood = await openSio(srv.port, { readAuth: true });
  t.after(() => flood.client.terminate());
  for (let i = 0; i < 40; i++) flood.client.send(`42["message",${i}]`).catch(() => {});
  const { code, reason } = await flood.client.nextClose(5000);
  assert.equal(code, 1008);
  assert.equal(reason, 'message rate limit exceeded');
  await srv.waitForLog(/close .*reason="message rate limit exceeded" code=1008 .*more than 20 messages in one second/);
  await bystanderOk();
});

test('--max-messages-per-second applies to the plain stream too', async (t) => {
  const srv = await withServer(t, { flags: { '--max-messages-per-second': '5' } });
  const c = await RawClient.open(`${srv.wsUrl}/_ws/`);
  t.after(() => c.terminate());
  for (let i = 0; i < 10; i++) c.send('x').catch(() => {});
  assert.equal((await c.nextClose(5000)).code, 1008);
});

test('--binary-timeout-ms: a packet whose attachments stop coming is closed with 1008', async (t) => {
  const srv = await withServer(t, { flags: { '--app': 'echo', '--binary-timeout-ms': '300' } });
  const bystanderOk = await echoBystander(t, srv.port);

  // In time: served.
  const ok = await openSio(srv.port, { readAuth: true });
  t.after(() => ok.client.terminate());
  await ok.client.send(`452-["message",${PH(0)},${PH(1)}]`);
  await ok.client.send(Buffer.from([1]));
  await ok.client.send(Buffer.from([2]));
  assert.equal(await ok.client.nextText(), `452-["message-back",${PH(0)},${PH(1)}]`);
  assert.deepEqual([...await ok.client.nextBinary()], [1]);
  assert.deepEqual([...await ok.client.nextBinary()], [2]);

  // One of two attachments, then nothing.
  const { client } = await openSio(srv.port, { readAuth: true });
  t.after(() => client.terminate());
  await client.send(`452-["message",${PH(0)},${PH(1)}]`);
  await client.send(Buffer.from([1]));
  const { code, reason } = await client.nextClose(5000);
  assert.equal(code, 1008);
  assert.equal(reason, 'binary packet incomplete within binary timeout');
  await srv.waitForLog(/close .*binary packet incomplete .*attachments still missing after 300 ms/);
  await bystanderOk();
});

test('attachments of one packet together at most --max-payload: at the limit served, one byte more is 1009', async (t) => {
  const srv = await withServer(t, { flags: { '--app': 'echo', '--max-payload': '1000' } });
  const { client } = await openSio(srv.port, { readAuth: true });
  t.after(() => client.terminate());
  await client.send(`452-["message",${PH(0)},${PH(1)}]`);
  await client.send(Buffer.alloc(600, 1));
  await client.send(Buffer.alloc(400, 2));
  assert.equal(await client.nextText(), `452-["message-back",${PH(0)},${PH(1)}]`);
  assert.equal((await client.nextBinary()).length, 600);
  assert.equal((await client.nextBinary()).length, 400);

  await client.send(`452-["message",${PH(0)},${PH(1)}]`);
  await client.send(Buffer.alloc(600, 1));
  await client.send(Buffer.alloc(401, 2));
  assert.equal((await client.nextClose(3000)).code, 1009);
});

test('--max-rooms-per-socket: the join past the limit is refused, the socket keeps its rooms', async (t) => {
  const srv = await withServer(t, { flags: { '--app': 'echo', '--max-rooms-per-socket': '3' } });
  const s = sioClient(srv.port);
  t.after(() => s.close());
  await once(s, 'connect');
  for (const room of ['a', 'b', 'c']) assert.equal(await s.emitWithAck('join', room), true, `join ${room}`);
  assert.equal(await s.emitWithAck('join', 'a'), true, 'a room already joined');
  assert.equal(await s.emitWithAck('join', 'd'), false, 'the fourth room');
  assert.equal(await s.emitWithAck('to-room', 'c', 'hi'), 1);
  assert.equal(await s.emitWithAck('to-room', 'd', 'hi'), 0);
  await s.emitWithAck('leave', 'b');
  assert.equal(await s.emitWithAck('join', 'd'), true, 'after leaving one');
  await srv.waitForLog(/join\('d'\) refused: already in 3 rooms \(--max-rooms-per-socket\)/);
  assert.equal(s.connected, true);
});

test('--max-namespaces: one namespace too many gets connect_error, the others stay connected', async (t) => {
  const srv = await withServer(t, { flags: { '--app': 'echo', '--max-namespaces': '1' } });
  const root = sioClient(srv.port);
  t.after(() => root.close());
  await once(root, 'connect');
  const custom = root.io.socket('/custom');
  t.after(() => custom.close());
  custom.connect();
  const [err] = await once(custom, 'connect_error');
  assert.equal(err.message, 'too many namespaces on one connection (at most 1)');
  assert.equal(root.connected, true);
  assert.deepEqual(await root.emitWithAck('message-with-ack', 7), 7);
});

test('--max-connections: the next upgrade gets 503 with a reason; health checks answer; a freed slot is reused', async (t) => {
  const srv = await withServer(t, { flags: { '--max-connections': '3' } });
  const held = [];
  t.after(() => { for (const c of held) c.terminate(); });
  held.push(await RawClient.open(`${srv.wsUrl}/_ws/`));
  held.push((await openEio(srv.port)).client);
  held.push(await RawClient.open(`${srv.wsUrl}/socket.io/`));
  for (const path of ['/_ws/', `/socket.io/?${EIO_QUERY}`]) {
    const r = await request({ port: srv.port, path, upgrade: true });
    assert.equal(r.status, 503, path);
    assert.equal(r.body, 'server at its WebSocket connection limit (3); retry shortly\n');
    assert.equal(r.headers['retry-after'], '5');
  }
  const hc = await request({ port: srv.port, path: '/cache-healthcheck' });
  assert.equal(hc.status, 200);
  assert.equal(hc.body, 'ok');
  await srv.waitForLog(/at the WebSocket connection limit \(3, --max-connections\)/);

  // Give one back: the slot is free once that session is gone.
  await held.shift().dispose();
  await waitUntil(async () => (await request({ port: srv.port, path: '/_ws/', upgrade: true })).status === 101, 10000, 'a freed slot');
  // The 101 above took the slot and released it again when its socket was destroyed.
  assert.equal(srv.alive, true);
});

test('--max-connections default comes from the open-file limit and is logged', async (t) => {
  const srv = await withServer(t);
  const line = await srv.waitForLog(/listening on /);
  const m = /max-connections=(\d+) \(open-file limit (\d+)\)/.exec(line);
  assert.ok(m, line);
  const [max, fds] = [Number(m[1]), Number(m[2])];
  assert.ok(max < fds && max >= fds - 64 - Math.floor(fds / 50), `${max} of ${fds}`);
});

function rawTcp(port) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}
const closed = (s) => new Promise((resolve) => { if (s.destroyed) resolve(); else s.once('close', resolve); });

test('--handshake-timeout-ms: an incomplete request is dropped (slowloris), a complete one is served', async (t) => {
  const srv = await withServer(t, { flags: { '--handshake-timeout-ms': '500' } });
  // A client that sends a request one byte every 50 ms would take 10 s: it is cut at 500 ms.
  const slow = await rawTcp(srv.port);
  t.after(() => slow.destroy());
  const request = `GET /cache-healthcheck HTTP/1.1\r\nHost: x\r\nX-Pad: ${'p'.repeat(160)}\r\n\r\n`;
  let sent = 0;
  let done = false;
  const gone = closed(slow).then(() => { done = true; });
  slow.on('error', () => {});
  while (!done && sent < request.length) {
    slow.write(request[sent++]);
    await new Promise((r) => setTimeout(r, 50)); // the attacker's pace, not a synchronisation
  }
  await gone;
  assert.ok(sent < request.length, `dropped before the request was complete (${sent} of ${request.length} bytes)`);

  // A connection that says nothing at all is dropped too.
  const silent = await rawTcp(srv.port);
  silent.on('error', () => {});
  await closed(silent);

  const ok = await fetch(`${srv.httpUrl}/cache-healthcheck`);
  assert.equal(ok.status, 200);
});

test('--max-header-bytes: headers over the limit get 431, under it are served', async (t) => {
  const srv = await withServer(t, { flags: { '--max-header-bytes': '2048' } });
  const small = await request({ port: srv.port, path: '/cache-healthcheck', headers: { 'X-Pad': 'a'.repeat(1500) } });
  assert.equal(small.status, 200);
  const big = await request({ port: srv.port, path: '/cache-healthcheck', headers: { 'X-Pad': 'a'.repeat(3000) } });
  assert.equal(big.status, 431);
  assert.equal(big.body, 'request header fields too large (at most 2048 bytes)\n');
  const line = await request({ port: srv.port, path: `/${'x'.repeat(3000)}` });
  assert.equal(line.status, 431, 'a huge request line counts too');
});

test('a closed session is freed as soon as its close handshake completes, not after --close-timeout-ms', async (t) => {
  // Before the fix the close timer held the session for the whole timeout.
  const srv = await withServer(t, { flags: { '--connect-timeout-ms': '200', '--close-timeout-ms': '60000', '--log-level': 'debug' } });
  const { client, open } = await openEio(srv.port);
  t.after(() => client.terminate());
  const { code } = await client.nextClose(5000); // the ws client answers the close frame
  assert.equal(code, 1008);
  await srv.waitForLog(new RegExp(`freed ${open.sid}`), 20000);
});

test('a peer that never answers the close frame is cut after --close-timeout-ms', async (t) => {
  const srv = await withServer(t, { flags: { '--connect-timeout-ms': '200', '--close-timeout-ms': '300', '--log-level': 'debug' } });
  const { client, open } = await openEio(srv.port);
  t.after(() => client.terminate());
  client.ws._socket.pause(); // reads nothing, so it never sees (or answers) the close frame
  await srv.waitForLog(new RegExp(`freed ${open.sid}`), 20000);
});

test('a handler that throws closes only its own connection with 1011, logged with namespace and event', async (t) => {
  const srv = await withServer(t, { flags: { '--app': 'echo' } });
  const bystanderOk = await echoBystander(t, srv.port);
  const { client, sid } = await openSio(srv.port, { readAuth: true });
  t.after(() => client.terminate());
  await client.send('42["fail"]');
  const { code, reason } = await client.nextClose(5000);
  assert.equal(code, 1011);
  assert.equal(reason, 'server handler error');
  await srv.waitForLog(new RegExp(`error sid=${sid} nsp=/ the handler for event 'fail' threw: the fail event always throws`));
  await bystanderOk();
  assert.equal(srv.alive, true);
});

test('a closing session stops counting as a listener: no integer is spent on nobody', async (t) => {
  // A lone client is closed by the server (a malformed packet) and never
  // answers the close frame, so its socket lingers for --close-timeout-ms.
  // Before the fix the producer kept counting it and went on spending
  // integers that nobody received; the next client then saw a gap.
  const srv = await withServer(t, { flags: { '--tick-ms': '20', '--close-timeout-ms': '20000' } });
  const a = await openSio(srv.port);
  const got = [];
  while (got.length < 3) {
    const m = /^42\["integer",(\d+)\]$/.exec(await a.client.nextText(3000));
    if (m) got.push(Number(m[1]));
  }
  a.client.ws._socket.pause(); // from now on it reads nothing: the close frame is never answered
  await a.client.send('42["disconnect"]'); // reserved name: decode error, the server closes
  await srv.waitForLog(/close .*socket.io decode error/);
  await srv.waitForLog(/integer producer idle at (\d+)/);
  // Whatever A had been sent before the close was decided is in its socket buffer.
  a.client.ws._socket.resume();
  await a.client.nextClose(20000).catch(() => {});
  for (const f of a.client.frames) {
    const m = /^42\["integer",(\d+)\]$/.exec(f.data);
    if (m) got.push(Number(m[1]));
  }
  const idleLine = srv.lines.findLast((l) => /integer producer idle at/.test(l));
  const lastSent = Number(/idle at (\d+)/.exec(idleLine)[1]);
  assert.equal(lastSent, got.at(-1), `the producer stopped at the last integer A received (${JSON.stringify(got.slice(-3))})`);

  const b = await openSio(srv.port);
  t.after(() => b.client.terminate());
  const m = /^42\["integer",(\d+)\]$/.exec(await b.client.nextText(3000));
  assert.ok(m);
  assert.equal(Number(m[1]), lastSent + 1, 'the next client continues without a gap');
});

test('--max-attachments: a packet announcing one more attachment than allowed closes with 1002', async (t) => {
  const srv = await withServer(t, { flags: { '--app': 'echo', '--max-attachments': '2' } });
  const { client } = await openSio(srv.port, { readAuth: true });
  t.after(() => client.terminate());
  await client.send(`452-["message",${PH(0)},${PH(1)}]`);
  await client.send(Buffer.from([1]));
  await client.send(Buffer.from([2]));
  assert.equal(await client.nextText(), `452-["message-back",${PH(0)},${PH(1)}]`);
  await client.nextBinary();
  await client.nextBinary();
  await client.send(`453-["message",${PH(0)},${PH(1)},${PH(2)}]`);
  const { code } = await client.nextClose(3000);
  assert.equal(code, 1002);
  await srv.waitForLog(/close .*socket\.io decode error.*announces 3 attachments, at most 2 allowed/);
});

test('--max-json-depth: a payload at the depth is served, one level deeper closes with 1002', async (t) => {
  const srv = await withServer(t, { flags: { '--app': 'echo', '--max-json-depth': '4' } });
  const { client } = await openSio(srv.port, { readAuth: true });
  t.after(() => client.terminate());
  await client.send('42["message",[[{"a":1}]]]'); // the event array, two arrays, an object: 4 levels
  assert.equal(await client.nextText(), '42["message-back",[[{"a":1}]]]');
  await client.send('42["message",[[[{"a":1}]]]]');
  assert.equal((await client.nextClose(3000)).code, 1002);
});

test('--max-body-bytes: a polling POST at the limit gets the polling refusal, one byte more gets 413', async (t) => {
  const srv = await withServer(t, { flags: { '--max-body-bytes': '1000' } });
  const at = await request({ port: srv.port, method: 'POST', path: '/socket.io/?EIO=4&transport=polling', body: 'x'.repeat(1000) });
  assert.equal(at.status, 400);
  assert.match(at.body, /"code":0/);
  const over = await request({ port: srv.port, method: 'POST', path: '/socket.io/?EIO=4&transport=polling', body: 'x'.repeat(1001) });
  assert.equal(over.status, 413);
  assert.equal(over.body, 'request body too large (at most 1000 bytes)\n');
});

test('out of file descriptors (EMFILE): the listener neither spins nor floods the log, and recovers', async (t) => {
  const srv = await withServer(t, { maxOpenFiles: 64, flags: { '--handshake-timeout-ms': '60000' } });
  const line = await srv.waitForLog(/listening on /);
  assert.match(line, /\(open-file limit 64\)/);
  // Idle TCP connections (an HTTP request that never comes) take every descriptor.
  const idle = [];
  t.after(() => { for (const s of idle) s.destroy(); });
  for (let i = 0; i < 100; i++) {
    const s = net.connect(srv.port, '127.0.0.1');
    s.on('error', () => {});
    idle.push(s);
  }
  await srv.waitForLog(/accept failed: .*(Too many open files|EMFILE)/i, 10000);
  // While out of descriptors, measure: a listener that retried without pause would burn a core.
  const used = () => { const c = srv.cpuSeconds(); return c.user + c.sys; };
  const cpu0 = used();
  const lines0 = srv.lines.length;
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, 2000)); // time passing is what is measured here
  const cpu = used() - cpu0;
  const elapsed = (Date.now() - t0) / 1000;
  assert.ok(cpu / elapsed < 0.25, `server CPU while out of descriptors: ${(100 * cpu / elapsed).toFixed(0)}% of a core`);
  const newLines = srv.lines.slice(lines0).filter((l) => /accept failed/.test(l));
  assert.ok(newLines.length <= 1, `accept failures logged at most once per 10 s: ${newLines.length} lines in 2 s`);
  // Give the descriptors back: the pending connections are accepted and the health check answers.
  for (const s of idle) s.destroy();
  await waitUntil(async () => {
    try { return (await request({ port: srv.port, path: '/cache-healthcheck', timeoutMs: 1000 })).status === 200; } catch { return false; }
  }, 20000, 'the health check after the descriptors came back');
});

test('--max-room-name-bytes: a room name at the limit joins, one byte longer is refused', async (t) => {
  const srv = await withServer(t, { flags: { '--app': 'echo', '--max-room-name-bytes': '16' } });
  const s = sioClient(srv.port);
  t.after(() => s.close());
  await once(s, 'connect');
  assert.equal(await s.emitWithAck('join', 'r'.repeat(16)), true);
  assert.equal(await s.emitWithAck('join', 'r'.repeat(17)), false);
  await srv.waitForLog(/refused: a room name of 17 bytes \(--max-room-name-bytes 16\)/);
});

test('--max-plain-message-bytes: the plain stream drops messages up to the limit and closes 1009 above it', async (t) => {
  const srv = await withServer(t, { flags: { '--max-plain-message-bytes': '4096' } });
  const c = await RawClient.open(`${srv.wsUrl}/_ws/`);
  t.after(() => c.terminate());
  await c.send('x'.repeat(4096));
  assert.match(await c.nextText(3000), /^\d+$/);
  await c.send('x'.repeat(4097));
  assert.equal((await c.nextClose(3000)).code, 1009);
});
