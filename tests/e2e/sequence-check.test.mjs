// Unit tests of the checker used by `integers-client.mjs --check`: proves it
// passes clean streams and fails on gaps, duplicates, reorderings, silent
// clients and clients that disagree, while ignoring jumps across reconnects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkRun, checkClient, compareClients, checkAll, formatSummary, SequenceRecorder } from '../../clients/lib/sequence-check.mjs';
import { backoffDelay } from '../../clients/lib/backoff.mjs';
import { parseCommandLine, pollingRefusalHint } from '../../clients/lib/cli.mjs';

const runRows = [
  // [name, values, gaps, duplicates, reorderings]
  ['empty', [], 0, 0, 0],
  ['single value', [7], 0, 0, 0],
  ['consecutive', [1, 2, 3, 4, 5], 0, 0, 0],
  ['starts anywhere', [1000, 1001, 1002], 0, 0, 0],
  ['one gap', [1, 2, 4, 5], 1, 0, 0],
  ['two gaps', [1, 3, 4, 9], 2, 0, 0],
  ['duplicate', [1, 2, 2, 3], 0, 1, 0],
  ['old value again', [1, 2, 3, 1, 4], 0, 1, 0],
  ['swapped pair', [1, 3, 2, 4], 1, 0, 1],
  ['late value after a jump', [5, 6, 8, 7, 9], 1, 0, 1],
  ['restarted counter inside one connection', [10, 11, 1, 2], 0, 0, 2],
];

for (const [name, values, gaps, duplicates, reorderings] of runRows) {
  test(`checkRun: ${name}`, () => {
    const r = checkRun(values);
    assert.equal(r.count, values.length);
    assert.equal(r.gaps.length, gaps, 'gaps');
    assert.equal(r.duplicates.length, duplicates, 'duplicates');
    assert.equal(r.reorderings.length, reorderings, 'reorderings');
  });
}

test('checkRun: a gap records what is missing', () => {
  assert.deepEqual(checkRun([1, 2, 5]).gaps, [{ index: 2, after: 2, next: 5, missing: 2 }]);
});

/** A client from rows of values per connection, one tick (10 ms) per value. */
function client(name, ...connections) {
  const segments = [];
  let t = 0;
  for (const values of connections) {
    const start = t;
    const samples = values.map((v) => ({ v, t: (t = v * 10) }));
    segments.push({ start: Math.min(start, samples[0]?.t ?? start) - 1, end: t + 1, samples });
    t += 1000; // time passes while disconnected
  }
  return { name, segments };
}

const clientRows = [
  // [name, connections, ok, acrossReconnects]
  ['one clean connection', [[1, 2, 3]], true, 0],
  ['gap across a reconnect is expected', [[1, 2, 3], [9, 10, 11]], true, 1],
  ['server restart (counter back to 1) across a reconnect', [[50, 51], [1, 2, 3]], true, 1],
  ['reconnect without a jump', [[1, 2], [3, 4]], true, 0],
  ['gap inside the second connection', [[1, 2, 3], [9, 11]], false, 1],
  ['duplicate inside a connection', [[1, 1]], false, 0],
  ['never received anything', [[]], false, 0],
  ['never connected', [], false, 0],
];

for (const [name, connections, ok, jumps] of clientRows) {
  test(`checkClient: ${name}`, () => {
    const r = checkClient(client('c1', ...connections));
    assert.equal(r.ok, ok);
    assert.equal(r.acrossReconnects.length, jumps);
  });
}

test('compareClients: clients connected together that saw the same values agree', () => {
  const a = client('a', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  const b = client('b', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.deepEqual(compareClients([a, b], { skewMs: 15 }), []);
});

test('compareClients: a value one client missed while connected is reported', () => {
  const a = client('a', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  // b was connected over the same interval but never got 5.
  const b = { name: 'b', segments: [{ ...a.segments[0], samples: a.segments[0].samples.filter((s) => s.v !== 5) }] };
  const m = compareClients([a, b], { skewMs: 15 });
  assert.deepEqual(m, [{ a: 'a', b: 'b', value: 5, t: 50 }]);
  // checkRun alone would flag b's gap too; checkAll fails either way.
  assert.equal(checkAll([a, b], { skewMs: 15 }).ok, false);
});

test('compareClients: clients that see different streams at the same time disagree', () => {
  const a = { name: 'a', segments: [{ start: 0, end: 100, samples: [1, 2, 3, 4, 5].map((v) => ({ v, t: v * 10 })) }] };
  const b = { name: 'b', segments: [{ start: 0, end: 100, samples: [101, 102, 103, 104, 105].map((v) => ({ v, t: (v - 100) * 10 })) }] };
  assert.ok(checkRun([101, 102, 103, 104, 105]).gaps.length === 0);
  assert.ok(compareClients([a, b], { skewMs: 15 }).length > 0);
  assert.equal(checkAll([a, b], { skewMs: 15 }).ok, false);
});

test('compareClients: values near the edges of the overlap are tolerated', () => {
  // b connects at t=45 and first receives 6 (t=60): it cannot have seen 5.
  const a = client('a', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  const b = { name: 'b', segments: [{ start: 45, end: 101, samples: [6, 7, 8, 9, 10].map((v) => ({ v, t: v * 10 })) }] };
  assert.deepEqual(compareClients([a, b], { skewMs: 10 }), []);
});

test('compareClients: segments that do not overlap in time are not compared', () => {
  const a = { name: 'a', segments: [{ start: 0, end: 50, samples: [{ v: 1, t: 10 }] }] };
  const b = { name: 'b', segments: [{ start: 60, end: 100, samples: [{ v: 1000, t: 70 }] }] };
  assert.deepEqual(compareClients([a, b], { skewMs: 0 }), []);
});

test('checkAll + formatSummary: a gap while connected fails the check and is named', () => {
  const report = checkAll([client('c1', [1, 2, 3]), client('c2', [1, 3])], { skewMs: 5 });
  assert.equal(report.ok, false);
  const text = formatSummary(report).join('\n');
  assert.match(text, /c2: FAIL/);
  assert.match(text, /gap after 1 \(next 3, 1 missing\)/);
  assert.match(text, /^check: FAIL/m);
});

test('checkAll + formatSummary: a clean run passes', () => {
  const report = checkAll([client('c1', [1, 2, 3], [7, 8]), client('c2', [1, 2, 3], [7, 8])], { skewMs: 5 });
  assert.equal(report.ok, true);
  const text = formatSummary(report).join('\n');
  assert.match(text, /^check: PASS/m);
  assert.match(text, /1 jump\(s\) across fresh sessions \(expected: 3 -> 7\)/);
});

test('SequenceRecorder: values outside a connection are ignored; segments close', () => {
  const r = new SequenceRecorder('c1');
  r.value(1, 0);
  r.connect(10);
  r.value(2, 11);
  r.value(3, 12);
  r.disconnect(20);
  r.value(4, 21);
  r.connect(30);
  r.value(9, 31);
  assert.equal(r.connected, true);
  assert.deepEqual(
    r.segments.map((s) => [s.start, s.end, s.samples.map((x) => x.v)]),
    [[10, 20, [2, 3]], [30, null, [9]]],
  );
  assert.equal(checkClient(r).ok, true);
});

test('SequenceRecorder: a recovered reconnect continues the session with what it replayed', () => {
  const r = new SequenceRecorder('c1');
  r.connect(10);
  r.value(1, 11);
  r.value(2, 12);
  r.disconnect(20);
  r.value(3, 30); // replayed, before the connect event
  r.value(4, 30);
  assert.deepEqual(r.connect(30, { recovered: true }), { replayed: 2 });
  r.value(5, 31);
  assert.deepEqual(r.segments.map((s) => [s.start, s.end, s.resumes, s.replayed, s.samples.map((x) => x.v)]), [[10, null, 1, 2, [1, 2, 3, 4, 5]]]);
  const ok = checkClient(r);
  assert.equal(ok.ok, true);
  assert.equal(ok.connections, 2);
  assert.equal(ok.recovered, 1);
  assert.match(formatSummary(checkAll([r])).join('\n'), /c1: ok: 5 integers over 2 connection\(s\), 1 recovered reconnect\(s\) \(2 replayed\)/);

  // A gap across a recovered reconnect is a failure, not a jump.
  const g = new SequenceRecorder('c2');
  g.connect(0);
  g.value(1, 1);
  g.disconnect(5);
  g.value(3, 6);
  g.connect(6, { recovered: true });
  const bad = checkClient(g);
  assert.equal(bad.ok, false);
  assert.equal(bad.gaps, 1);

  // A fresh session after the window: the jump is expected, the held values dropped.
  const f = new SequenceRecorder('c3');
  f.connect(0);
  f.value(1, 1);
  f.disconnect(5);
  f.value(99, 6);
  assert.deepEqual(f.connect(6, { recovered: false }), { replayed: 0 });
  f.value(50, 7);
  const fresh = checkClient(f);
  assert.equal(fresh.ok, true);
  assert.deepEqual(fresh.acrossReconnects, [{ after: 1, next: 50 }]);
});

test('backoffDelay: grows exponentially, caps, and jitters within bounds', () => {
  const cfg = { baseMs: 500, maxMs: 5000, jitter: 0.5 };
  const mid = () => 0.5; // no jitter
  assert.deepEqual([0, 1, 2, 3, 4, 10, 100].map((n) => backoffDelay(n, cfg, mid)), [500, 1000, 2000, 4000, 5000, 5000, 5000]);
  assert.equal(backoffDelay(0, cfg, () => 0), 250);
  assert.equal(backoffDelay(0, cfg, () => 0.999999), 750);
  assert.equal(backoffDelay(10, cfg, () => 0.999999), 5000, 'never above the cap');
});

test('parseCommandLine: forms, defaults and errors', () => {
  const spec = { clients: { type: 'number', default: 1, min: 1 }, quiet: { type: 'boolean' }, path: { type: 'string', default: '/socket.io/' } };
  assert.deepEqual(parseCommandLine(['http://h:1', '--clients', '3', '--quiet'], spec), {
    options: { clients: 3, quiet: true, path: '/socket.io/' },
    positionals: ['http://h:1'],
  });
  assert.equal(parseCommandLine(['--path=/x/'], spec).options.path, '/x/');
  assert.throws(() => parseCommandLine(['--nope'], spec), /unknown option --nope/);
  assert.throws(() => parseCommandLine(['--clients', '0'], spec), />= 1/);
  assert.throws(() => parseCommandLine(['--clients'], spec), /needs a value/);
  assert.throws(() => parseCommandLine(['--quiet=1'], spec), /takes no value/);
});

test('pollingRefusalHint: recognises the refusal and nothing else', () => {
  const body = JSON.stringify({ code: 0, message: 'Transport unknown', hint: 'use websocket' });
  assert.equal(pollingRefusalHint({ context: { status: 400, responseText: body } }), 'use websocket');
  assert.equal(pollingRefusalHint({ context: { status: 400, responseText: 'nope' } }), null);
  assert.equal(pollingRefusalHint({ context: { status: 502, responseText: body } }), null);
  assert.equal(pollingRefusalHint(new Error('websocket error')), null);
});
