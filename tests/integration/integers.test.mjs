// App "integers": one producer; Socket.IO clients on / get 42["integer",N],
// plain-stream clients get "N"; every client sees a gap-free run of the one
// shared sequence; the producer idles without clients and resumes at last+1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withServer, sleep, waitUntil } from './lib/server.mjs';
import { RawClient, openSio, openEio } from './lib/rawclient.mjs';
import { io } from './lib/deps.mjs';

function assertConsecutive(seq, what) {
  assert.ok(seq.length > 0, `${what}: received nothing`);
  for (let i = 1; i < seq.length; i++) {
    if (seq[i] !== seq[i - 1] + 1) assert.fail(`${what}: gap or reorder at index ${i}: ${seq[i - 1]} then ${seq[i]} (${JSON.stringify(seq.slice(Math.max(0, i - 3), i + 3))})`);
  }
}

// Collect integers from a raw Socket.IO client on / (frames must be exactly 42["integer",N]).
function collectSio(client, sink) {
  (async () => {
    for (;;) {
      let f;
      // A quiet spell (a loaded machine) is not the end; the close is.
      try { f = await client.next(5000); } catch { if (client.isClosed) return; continue; }
      const m = f.type === 'text' && /^42\["integer",(\d+)\]$/.exec(f.data);
      if (!m) { sink.bad.push(f); continue; }
      sink.values.push(Number(m[1]));
    }
  })();
}

// Collect integers from a plain-stream client (frames must be exactly the digits).
function collectPlain(client, sink) {
  (async () => {
    for (;;) {
      let f;
      // A quiet spell (a loaded machine) is not the end; the close is.
      try { f = await client.next(5000); } catch { if (client.isClosed) return; continue; }
      if (f.type === 'text' && /^\d+$/.test(f.data)) sink.values.push(Number(f.data));
      else sink.bad.push(f);
    }
  })();
}

const newSink = () => ({ values: [], bad: [] });

// These tests are about the sequence, not the heartbeat: a slow heartbeat, so
// that a test process busy with 50 clients on a loaded machine never misses a
// pong (the integration defaults are 300 / 200 ms).
const CALM = { '--ping-interval-ms': '5000', '--ping-timeout-ms': '10000' };

test('50 socket.io-client clients receive identical gap-free sequences', async (t) => {
  const srv = await withServer(t, { flags: { ...CALM, '--app': 'integers', '--threads': '2' } });
  // an early raw client connected the whole time: the reference sequence
  const early = await openSio(srv.port, { autoPong: true });
  t.after(() => early.client.terminate());
  const ref = newSink();
  collectSio(early.client, ref);
  await waitUntil(() => ref.values.length >= 5, 15000, 'first integers');
  const seenBeforeClients = ref.values.at(-1);

  const N = 50;
  const sockets = [];
  const seqs = [];
  for (let i = 0; i < N; i++) {
    const s = io(`http://127.0.0.1:${srv.port}`, { transports: ['websocket'], reconnection: false, timeout: 5000, forceNew: true });
    const seq = [];
    s.on('integer', (n) => seq.push(n));
    sockets.push(s);
    seqs.push(seq);
  }
  t.after(() => { for (const s of sockets) s.close(); });
  await Promise.all(sockets.map((s) => new Promise((resolve, reject) => {
    if (s.connected) return resolve();
    s.once('connect', resolve);
    s.once('connect_error', reject);
  })));
  // everyone receives at least 20 more ticks (1 s at 50 ms)
  await waitUntil(() => seqs.every((q) => q.length >= 20), 30000, '20 integers on every client');
  for (const s of sockets) s.close();
  // The reference client has received everything the others did.
  const lastSeen = Math.max(...seqs.map((q) => q.at(-1)));
  await waitUntil(() => ref.values.length > 0 && ref.values.at(-1) >= lastSeen, 30000, 'the reference client to catch up');
  const refSeq = ref.values.slice();
  assert.deepEqual(ref.bad, [], 'reference client frames are all 42["integer",N]');
  assertConsecutive(refSeq, 'reference client');
  const refIndex = new Map(refSeq.map((v, i) => [v, i]));
  for (let i = 0; i < N; i++) {
    const q = seqs[i];
    assert.ok(q.every(Number.isInteger), `client ${i}: integers only`);
    assertConsecutive(q, `client ${i}`);
    assert.ok(q[0] > seenBeforeClients, `client ${i} starts at ${q[0]}, after ${seenBeforeClients} which was sent before it connected`);
    // the client's run is a contiguous slice of the reference run: same values, same order
    const start = refIndex.get(q[0]);
    assert.ok(start !== undefined, `client ${i}: first value ${q[0]} not seen by the reference client`);
    assert.deepEqual(q, refSeq.slice(start, start + q.length), `client ${i}: differs from the reference sequence`);
  }
  // all 50 share a common window of at least 10 ticks
  const lo = Math.max(...seqs.map((q) => q[0]));
  const hi = Math.min(...seqs.map((q) => q.at(-1)));
  assert.ok(hi - lo >= 10, `common window ${lo}..${hi}`);
});

test('plain stream on /_ws/, /_ws/foo, /socket.io/, /socket.io/bar: digits only, same sequence as Socket.IO', async (t) => {
  const srv = await withServer(t, { flags: { ...CALM, '--app': 'integers' } });
  const early = await openSio(srv.port, { autoPong: true });
  t.after(() => early.client.terminate());
  const ref = newSink();
  collectSio(early.client, ref);
  await waitUntil(() => ref.values.length >= 3, 15000, 'first integers');

  const paths = ['/_ws/', '/_ws/foo', '/socket.io/', '/socket.io/bar', '/socket.io/?foo=bar'];
  const clients = [];
  const sinks = [];
  for (const p of paths) {
    const c = await RawClient.open(`${srv.wsUrl}${p}`);
    t.after(() => c.terminate());
    const sink = newSink();
    collectPlain(c, sink);
    clients.push(c);
    sinks.push(sink);
  }
  // what plain clients send is ignored
  for (const c of clients) { await c.send('hello'); await c.send('40'); await c.send(Buffer.from([1, 2])); await c.send('2'); }
  await waitUntil(() => sinks.every((s) => s.values.length >= 20), 30000, '20 integers on every plain client');
  for (const c of clients) assert.equal(c.isClosed, false);
  const lastSeen = Math.max(...sinks.map((s) => s.values.at(-1)));
  await waitUntil(() => ref.values.at(-1) >= lastSeen, 30000, 'the reference client to catch up');
  const refSeq = ref.values.slice();
  assertConsecutive(refSeq, 'reference');
  const refIndex = new Map(refSeq.map((v, i) => [v, i]));
  sinks.forEach((s, i) => {
    assert.deepEqual(s.bad, [], `${paths[i]}: only digit text frames (no open packet, no ping)`);
    assertConsecutive(s.values, paths[i]);
    const start = refIndex.get(s.values[0]);
    assert.ok(start !== undefined, `${paths[i]}: ${s.values[0]} not in reference`);
    const common = s.values.filter((v) => v <= refSeq.at(-1));
    assert.deepEqual(common, refSeq.slice(start, start + common.length), `${paths[i]} vs reference`);
  });
});

// Connect a plain client, take `count` integers and close right after the last
// one (tick 200 ms leaves plenty of time before the next tick). Returns them.
async function takeAndClose(url, count) {
  const c = await RawClient.open(url);
  const got = [];
  try {
    while (got.length < count) {
      const f = await c.next(3000);
      assert.equal(f.type, 'text');
      assert.match(f.data, /^\d+$/);
      got.push(Number(f.data));
    }
  } finally {
    c.close();
  }
  // frames that still arrive before the close completes count as received
  await c.nextClose(2000).catch(() => c.terminate());
  for (const f of c.frames) got.push(Number(f.data));
  return got;
}

test('the producer idles without clients and continues at last+1 (plain stream)', async (t) => {
  const srv = await withServer(t, { flags: { ...CALM, '--app': 'integers', '--tick-ms': '200' } });
  const first = await takeAndClose(`${srv.wsUrl}/_ws/`, 3);
  assertConsecutive(first, 'first client');
  await sleep(1000); // 5 ticks with nobody connected (time passing, not a synchronisation)
  const second = await takeAndClose(`${srv.wsUrl}/_ws/`, 2);
  assertConsecutive(second, 'second client');
  assert.equal(second[0], first.at(-1) + 1, `after idling: ${JSON.stringify(first)} then ${JSON.stringify(second)}`);
});

test('the producer idles without clients and continues at last+1 (Socket.IO on /)', async (t) => {
  const srv = await withServer(t, { flags: { ...CALM, '--app': 'integers', '--tick-ms': '200' } });
  const take = async (count) => {
    const { client } = await openSio(srv.port, { autoPong: true });
    const got = [];
    while (got.length < count) {
      const m = /^42\["integer",(\d+)\]$/.exec(await client.nextText(3000));
      assert.ok(m);
      got.push(Number(m[1]));
    }
    client.close();
    await client.nextClose(2000).catch(() => client.terminate());
    for (const f of client.frames) { const m = /^42\["integer",(\d+)\]$/.exec(f.data); if (m) got.push(Number(m[1])); }
    return got;
  };
  const first = await take(3);
  assertConsecutive(first, 'first');
  await sleep(1000); // time passing, not a synchronisation: ticks that would be spent if the producer ran
  // an Engine.IO connection without a namespace does not drive the producer
  const { client: idle } = await openEio(srv.port, { autoPong: true });
  await sleep(700); // the same: time during which a wrongly counted listener would be sent integers
  idle.terminate();
  const second = await take(2);
  assertConsecutive(second, 'second');
  assert.equal(second[0], first.at(-1) + 1, `after idling: ${JSON.stringify(first)} then ${JSON.stringify(second)}`);
});

test('a Socket.IO client that leaves / (41) stops receiving integers', async (t) => {
  const srv = await withServer(t, { flags: { ...CALM, '--app': 'integers', '--connect-timeout-ms': '5000' } });
  const { client } = await openSio(srv.port, { autoPong: true });
  t.after(() => client.terminate());
  assert.match(await client.nextText(2000), /^42\["integer",\d+\]$/);
  await client.send('41');
  // It was the only listener: the producer goes idle, and says at which integer.
  const idle = await srv.waitForLog(/integer producer idle at (\d+)/, 10000);
  const last = Number(/idle at (\d+)/.exec(idle)[1]);
  // Integers up to that one may still be on their way; none after it ever comes.
  await client.expectSilence(500).catch(() => {});
  for (const f of client.frames) {
    const m = /^42\["integer",(\d+)\]$/.exec(f.data);
    assert.ok(m, `only integers: ${f.data}`);
    assert.ok(Number(m[1]) <= last, `integer ${m[1]} after leaving (the producer stopped at ${last})`);
  }
  assert.equal(client.isClosed, false, 'the Engine.IO connection stays');
});
