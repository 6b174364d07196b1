// Bounded send queue, in frames (--send-queue-limit) and in bytes
// (--send-queue-bytes): a client that stops reading is closed with 1013 and a
// log line the moment its queue is full; other clients are unaffected.
//
// What the client can observe is synchronised on, never slept on: the server
// logs the overflow when it decides it, the client then resumes reading, the
// frame in flight drains and the close frame follows. --close-timeout-ms is
// long so that a loaded machine cannot turn the close handshake into a cut.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withServer, sleep } from './lib/server.mjs';
import { openSio } from './lib/rawclient.mjs';

const QUIET = {
  '--app': 'echo',
  '--max-payload': '1000000',
  '--max-messages-per-second': '0',
  // no heartbeat interference while the client is not reading
  '--ping-interval-ms': '60000', '--ping-timeout-ms': '60000', '--connect-timeout-ms': '60000',
  '--close-timeout-ms': '60000',
};

// The client stops reading and sends echo requests until the server logs an
// overflow; returns that log line.
async function overflow(srv, client, size) {
  client.ws.pause(); // stop reading: the kernel buffers fill, then the server queue
  const big = `42["message","${'y'.repeat(size)}"]`;
  let line;
  const logged = srv.waitForLog(/send queue overflow/, 60000).then((l) => { line = l; });
  logged.catch(() => {});
  for (let i = 0; i < 400 && !line; i++) {
    await client.send(big).catch(() => {});
    // pacing only: keep our own send buffer bounded while the server catches up
    while (client.ws.bufferedAmount > 4_000_000 && !line) await sleep(5);
  }
  await logged;
  return line;
}

test('frames: a client that never reads overflows --send-queue-limit: logged, closed with 1013', async (t) => {
  const srv = await withServer(t, { flags: { ...QUIET, '--send-queue-limit': '8', '--send-queue-bytes': String(1 << 30) } });
  const bystander = await openSio(srv.port, { readAuth: true });
  t.after(() => bystander.client.terminate());
  const { client } = await openSio(srv.port, { readAuth: true });
  t.after(() => client.terminate());

  const line = await overflow(srv, client, 500000);
  assert.match(line, /warn .*close .*reason="send queue overflow \(client too slow\)" code=1013 .*frames waiting \(--send-queue-limit 8\)/);

  await bystander.client.send('42["message","fine"]');
  assert.equal(await bystander.client.nextText(), '42["message-back","fine"]');

  client.ws.resume();
  const { code, reason } = await client.nextClose(30000);
  assert.equal(code, 1013);
  assert.equal(reason, 'send queue overflow (client too slow)');
});

test('bytes: --send-queue-bytes closes a slow reader long before the frame limit', async (t) => {
  const srv = await withServer(t, { flags: { ...QUIET, '--send-queue-limit': '100000', '--send-queue-bytes': '2000000' } });
  const bystander = await openSio(srv.port, { readAuth: true });
  t.after(() => bystander.client.terminate());
  const { client } = await openSio(srv.port, { readAuth: true });
  t.after(() => client.terminate());

  const line = await overflow(srv, client, 400000);
  // The queue held at most 2000000 bytes: the packet that would pass it closed the connection.
  const m = /detail="(\d+) bytes waiting and (\d+) more \(--send-queue-bytes 2000000\)"/.exec(line);
  assert.ok(m, `overflow line names the bytes: ${line}`);
  assert.ok(Number(m[1]) <= 2000000, `at most the limit was queued: ${m[1]}`);
  assert.ok(Number(m[1]) + Number(m[2]) > 2000000, 'the next packet would have passed the limit');
  assert.equal(Number(m[2]), 400000 + '42["message-back",""]'.length);

  await bystander.client.send('42["message","fine"]');
  assert.equal(await bystander.client.nextText(), '42["message-back","fine"]');
  client.ws.resume();
  assert.equal((await client.nextClose(30000)).code, 1013);
});

test('a reader that keeps up is never closed, even with packets bigger than the byte limit', async (t) => {
  // A packet always fits when nothing else waits: one message alone never
  // overflows, even while the previous frame's write has not completed yet.
  const srv = await withServer(t, { flags: { ...QUIET, '--send-queue-bytes': '1024' } });
  const { client } = await openSio(srv.port, { readAuth: true });
  t.after(() => client.terminate());
  const payload = 'z'.repeat(100000);
  for (let i = 0; i < 20; i++) {
    await client.send(`42["message","${payload}"]`);
    assert.equal(await client.nextText(5000), `42["message-back","${payload}"]`);
  }
  assert.equal(client.isClosed, false);
});

test('a reader that stops, until its frames wait behind a partial write, gets every one in order once it reads', async (t) => {
  // 120 echoes of 200 kB (24 MB) outgrow both sockets' buffers, so the server
  // writes part of one frame, keeps the rest aside and queues the others
  // behind it; the limits are far away.
  const srv = await withServer(t, { flags: { ...QUIET, '--send-queue-limit': '100000', '--send-queue-bytes': String(1 << 30) } });
  const { client } = await openSio(srv.port, { readAuth: true });
  t.after(() => client.terminate());
  client.ws.pause();
  const count = 120;
  const body = (i) => `${String(i).padStart(4, '0')}${'q'.repeat(200000)}`;
  for (let i = 0; i < count; i++) {
    await client.send(`42["message","${body(i)}"]`);
    while (client.ws.bufferedAmount > 4_000_000) await sleep(5);  // pacing only: our own send buffer
  }
  client.ws.resume();
  for (let i = 0; i < count; i++) {
    const text = await client.nextText(30000);
    assert.equal(text.slice('42["message-back","'.length, '42["message-back","'.length + 4), String(i).padStart(4, '0'), 'in order');
    assert.equal(text, `42["message-back","${body(i)}"]`);
  }
  assert.equal(client.isClosed, false);
});
