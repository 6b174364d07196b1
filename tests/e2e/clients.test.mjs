// The node clients of clients/ against the real server: --check with many
// parallel clients, --check across a server restart, the plain stream, and
// what a client that does not force the websocket transport sees.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { CLIENTS_DIR, startServer, freePort, run, launch, waitFor } from './lib/fixture.mjs';
import { startProxy } from '../lib/proxy.mjs';

const CLIENT = path.join(CLIENTS_DIR, 'integers-client.mjs');
const PLAIN = path.join(CLIENTS_DIR, 'plain-stream.mjs');
const servers = [];
async function server(options) {
  const s = await startServer(options);
  servers.push(s);
  return s;
}
after(async () => {
  await Promise.all(servers.map((s) => s.stop({ timeoutMs: 3000 })));
});

test('--check with 50 parallel clients passes against fast ticks', async () => {
  const s = await server({ tickMs: 20 });
  const r = await run(process.execPath, [CLIENT, s.httpUrl, '--clients', '50', '--duration', '4', '--check', '--quiet'], { timeoutMs: 30000 });
  assert.equal(r.code, 0, `client exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /^check: PASS: 50 client\(s\), 0 failed, \d+ integers, 0 cross-client mismatch\(es\)$/m);
  const received = Number(r.stdout.match(/(\d+) integers, 0 cross/)[1]);
  assert.ok(received >= 50 * 100, `expected many integers, got ${received}`);
});

test('--check across a server restart: the jump is expected, the check passes', async () => {
  const port = await freePort();
  let s = await server({ port, tickMs: 20 });
  const client = launch(process.execPath, [
    CLIENT, s.httpUrl, '--clients', '3', '--duration', '7', '--check', '--reconnect-min-ms', '100', '--reconnect-max-ms', '400',
  ]);
  await waitFor(() => (client.output().match(/connected id=/g) || []).length >= 3, { timeoutMs: 10000, what: '3 connected clients' });
  await waitFor(() => /integer \d+/.test(client.output()), { what: 'integers' });
  const stopped = await s.stop();
  assert.equal(stopped.code, 0, `server exit after SIGTERM: ${JSON.stringify(stopped)}`);
  await waitFor(() => /disconnected reason=/.test(client.output()), { what: 'a disconnect' });
  s = await server({ port, tickMs: 20 });
  const exit = await new Promise((resolve) => client.child.once('exit', (code) => resolve(code)));
  const out = client.output();
  assert.equal(exit, 0, out.slice(-3000));
  assert.match(out, /^check: PASS/m);
  // Each client reconnected once. Its values usually jump across the restart
  // (the new server counts from the beginning), which must not fail the check;
  // a client that came back late may by chance continue where it left off.
  for (const name of ['c1', 'c2', 'c3']) {
    assert.match(out, new RegExp(`^${name}: ok: \\d+ integers over 2 connection\\(s\\)`, 'm'));
  }
  assert.match(out, /jump\(s\) across fresh sessions \(expected/);
});

test('--check across TCP cuts with recovery on: every reconnect is recovered, nothing is missing', async () => {
  const s = await server({ tickMs: 20, args: ['--recovery-window-ms', '60000'] });
  const proxy = await startProxy(s.port);
  try {
    const client = launch(process.execPath, [
      CLIENT, `http://127.0.0.1:${proxy.port}`, '--clients', '3', '--duration', '6', '--check', '--reconnect-min-ms', '100',
      '--reconnect-max-ms', '300',
    ]);
    const connects = () => (client.output().match(/connected id=/g) || []).length;
    for (let cut = 1; cut <= 2; cut++) {
      // All three (re)connected since the last cut, and integers flowing.
      await waitFor(() => connects() >= 3 * cut && proxy.size >= 3 && /integer \d+/.test(client.output()),
        { timeoutMs: 10000, what: `3 connected clients before cut ${cut}` });
      proxy.cut();
    }
    const exit = await new Promise((resolve) => client.child.once('exit', (code) => resolve(code)));
    const out = client.output();
    assert.equal(exit, 0, out.slice(-3000));
    assert.match(out, /^check: PASS/m);
    assert.match(out, /connected id=\S+ recovered \(\d+ integer\(s\) replayed\)/);
    for (const name of ['c1', 'c2', 'c3']) {
      assert.match(out, new RegExp(`^${name}: ok: \\d+ integers over 3 connection\\(s\\), 2 recovered reconnect\\(s\\)`, 'm'));
    }
    assert.doesNotMatch(out, /jump\(s\) across/);
  } finally {
    await proxy.close();
  }
});

test('--check with an expired window: the fresh session and its jump are reported, the check passes', async () => {
  const s = await server({ tickMs: 20, args: ['--recovery-window-ms', '300'] });
  const proxy = await startProxy(s.port);
  try {
    // A bystander keeps the producer going while the checked client is away.
    const bystander = launch(process.execPath, [CLIENT, s.httpUrl, '--duration', '6', '--quiet']);
    const client = launch(process.execPath, [
      CLIENT, `http://127.0.0.1:${proxy.port}`, '--duration', '5', '--check', '--reconnect-min-ms', '1500', '--reconnect-max-ms', '1500', '--jitter', '0',
    ]);
    await waitFor(() => /integer \d+/.test(client.output()) && proxy.size >= 1, { timeoutMs: 10000, what: 'integers' });
    proxy.cut();
    const exit = await new Promise((resolve) => client.child.once('exit', (code) => resolve(code)));
    const out = client.output();
    assert.equal(exit, 0, out.slice(-3000));
    assert.match(out, /connected id=\S+ fresh session \(recovery off, or its window expired\)/);
    assert.match(out, /^c1: ok: \d+ integers over 2 connection\(s\), 1 jump\(s\) across fresh sessions \(expected/m);
    await bystander.stop();
  } finally {
    await proxy.close();
  }
});

test('plain-stream.mjs reconnects with ?after=<last>: consecutive integers across TCP cuts', async () => {
  const s = await server({ tickMs: 20, args: ['--recovery-window-ms', '60000'] });
  const proxy = await startProxy(s.port);
  try {
    // A Socket.IO bystander keeps the producer going while the stream is away.
    const bystander = launch(process.execPath, [CLIENT, s.httpUrl, '--duration', '8', '--quiet']);
    const plain = launch(process.execPath, [PLAIN, '--url', `ws://127.0.0.1:${proxy.port}/_ws/`, '--duration', '4',
      '--reconnect-min-ms', '100', '--reconnect-max-ms', '200']);
    for (let cut = 1; cut <= 2; cut++) {
      await waitFor(() => (plain.output().match(/ connected/g) || []).length >= cut && proxy.size >= 1 &&
        (plain.output().match(/ integer \d+/g) || []).length >= 5 * cut, { timeoutMs: 10000, what: `integers before cut ${cut}` });
      proxy.cut();
    }
    const exit = await new Promise((resolve) => plain.child.once('exit', (code) => resolve(code)));
    const out = plain.output();
    assert.equal(exit, 0, out.slice(-3000));
    assert.match(out, /connecting to ws:\/\/127\.0\.0\.1:\d+\/_ws\/\?after=\d+/);
    const values = [...out.matchAll(/ integer (\d+)$/gm)].map((m) => Number(m[1]));
    assert.ok(values.every((v, i) => i === 0 || v === values[i - 1] + 1), `not consecutive across the cuts: ${values.join(' ')}`);
    await bystander.stop();
  } finally {
    await proxy.close();
  }
});

test('plain-stream.mjs prints consecutive integers from /_ws/', async () => {
  const s = await server({ tickMs: 20 });
  const r = await run(process.execPath, [PLAIN, '--url', `${s.wsUrl}/_ws/`, '--duration', '1.5'], { timeoutMs: 15000 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, / connected$/m);
  const values = [...r.stdout.matchAll(/ integer (\d+)$/gm)].map((m) => Number(m[1]));
  assert.ok(values.length >= 10, `only ${values.length} integers:\n${r.stdout}`);
  assert.ok(values.every((v, i) => i === 0 || v === values[i - 1] + 1), `not consecutive: ${values.join(' ')}`);
});

test('a client with default transports gets the polling refusal and its hint', async () => {
  const s = await server({ tickMs: 50 });
  const r = await run(process.execPath, [CLIENT, s.httpUrl, '--default-transports', '--duration', '1'], { timeoutMs: 15000 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /connect_error "xhr poll error": the server refused HTTP long-polling: .*transports: \["websocket"\]/);
  assert.doesNotMatch(r.stdout, /integer \d+/);
});

test('--help and bad usage', async () => {
  for (const script of [CLIENT, PLAIN]) {
    const help = await run(process.execPath, [script, '--help'], { timeoutMs: 10000 });
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^usage: /);
    const bad = await run(process.execPath, [script, '--no-such-option'], { timeoutMs: 10000 });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown option --no-such-option/);
  }
});
