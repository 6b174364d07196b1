// Command line: bad flags/values fail with a one-line reason, --help lists
// every flag, PORT env, default address.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SANITIZED, freePort, runToExit, startServer } from './lib/server.mjs';
import { request } from './lib/http.mjs';

const FLAGS = ['--address', '--port', '--threads', '--app', '--tick-ms', '--ping-interval-ms', '--ping-timeout-ms',
  '--connect-timeout-ms', '--max-payload', '--send-queue-limit', '--log-level', '--help'];

const BAD = [
  ['--bogus'],
  ['--port', 'abc'],
  ['--port', '70000'],
  ['--port', '-1'],
  ['--port'],
  ['--app', 'nope'],
  ['--app'],
  ['--log-level', 'verbose'],
  ['--tick-ms', 'abc'],
  ['--tick-ms', '-5'],
  ['--ping-interval-ms', 'x'],
  ['--ping-timeout-ms', '1.5.2'],
  ['--connect-timeout-ms', ''],
  ['--max-payload', 'lots'],
  ['--send-queue-limit', 'q'],
  ['--threads', 'many'],
  ['positional'],
];

test('bad flags and values exit non-zero with a one-line reason on stderr', async () => {
  // run a few at a time (bounded parallelism)
  for (let i = 0; i < BAD.length; i += 4) {
    const batch = BAD.slice(i, i + 4);
    const results = await Promise.all(batch.map((args) => runToExit(['--address', '127.0.0.1', ...(args[0] === '--port' ? [] : ['--port', '0']), ...args], { timeoutMs: 5000 })));
    results.forEach((r, j) => {
      const what = JSON.stringify(batch[j]);
      assert.equal(r.timedOut, false, `${what}: still running after 5 s (stderr: ${r.stderr})`);
      assert.notEqual(r.code, 0, `${what}: exit code`);
      assert.equal(r.signal, null, `${what}: killed by ${r.signal}`);
      const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
      assert.equal(lines.length, 1, `${what}: stderr should be one line, got ${JSON.stringify(r.stderr)}`);
      assert.doesNotMatch(r.stderr, /listening on/, what);
    });
  }
});

test('--help lists every flag and exits 0', async () => {
  const r = await runToExit(['--help'], { timeoutMs: 5000 });
  assert.equal(r.timedOut, false);
  assert.equal(r.code, 0);
  const text = r.stdout + r.stderr;
  for (const f of FLAGS) assert.ok(text.includes(f), `--help mentions ${f}:\n${text}`);
  assert.doesNotMatch(text, /listening on/);
});

test('PORT env sets the port when --port is absent; --port wins over PORT', async (t) => {
  const p1 = await freePort();
  const a = await startServer({ port: null, env: { PORT: String(p1) } });
  t.after(() => a.kill());
  assert.equal(a.port, p1);
  assert.equal((await request({ port: p1, path: '/cache-healthcheck' })).body, 'ok');
  await a.stop({ signal: 'SIGTERM' });

  const p2 = await freePort();
  const p3 = await freePort();
  const b = await startServer({ port: p3, env: { PORT: String(p2) } });
  t.after(() => b.kill());
  assert.equal(b.port, p3);
  assert.equal((await request({ port: p3, path: '/cache-healthcheck' })).body, 'ok');
});

test('default address is 0.0.0.0; --port 0 reports the real bound port', async (t) => {
  const s = await startServer({ address: null, port: 0, env: { PORT: undefined } });
  t.after(() => s.kill());
  assert.equal(s.address, '0.0.0.0');
  assert.notEqual(s.port, 0);
  assert.equal((await request({ port: s.port, path: '/cache-healthcheck' })).status, 200);
});

test('all flags together are accepted', async (t) => {
  const s = await startServer({
    flags: {
      '--threads': '2', '--app': 'echo', '--tick-ms': '100', '--ping-interval-ms': '1000', '--ping-timeout-ms': '900',
      '--connect-timeout-ms': '2000', '--max-payload': '5000', '--send-queue-limit': '16', '--log-level': 'debug',
    },
  });
  t.after(() => s.kill());
  assert.equal((await request({ port: s.port, path: '/cache-healthcheck' })).status, 200);
  // The exit status is the point, not its speed: a sanitizer build on a loaded machine may take seconds.
  const exit = await s.stop({ signal: 'SIGTERM', timeoutMs: SANITIZED ? 30000 : 10000 });
  assert.equal(exit.code, 0);
});
