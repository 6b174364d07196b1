// Debian's python3-socketio against the real server (run with /usr/bin/python3:
// the python3 on PATH may be another build without the package).
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, run } from './lib/fixture.mjs';

const PYTHON = '/usr/bin/python3';
const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'python_client.py');

let server;
let recovering;  // --recovery-window-ms on: every event carries its offset
before(async () => {
  server = await startServer({ tickMs: 20 });
  recovering = await startServer({ tickMs: 20, args: ['--recovery-window-ms', '60000'] });
});
after(async () => {
  await server?.stop();
  await recovering?.stop();
});

test('python-socketio over websocket receives consecutive integers', async () => {
  const r = await run(PYTHON, [SCRIPT, server.httpUrl, '--count', '8', '--timeout', '10'], { timeoutMs: 30000 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^ok: 8 consecutive integers$/m);
});

test('python-socketio asking for polling is refused, raw 400 JSON body intact', async () => {
  const r = await run(PYTHON, [SCRIPT, server.httpUrl, '--expect-polling-refusal', '--timeout', '10'], { timeoutMs: 30000 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^polling refused by python-socketio: ConnectionError/m);
  assert.match(r.stdout, /^ok: polling refused with the JSON body$/m);
});

test('recovery on: a handler written for the extra offset argument receives every integer', async () => {
  const r = await run(PYTHON, [SCRIPT, recovering.httpUrl, '--count', '8', '--timeout', '10', '--offsets'], { timeoutMs: 30000 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^offsets [A-Za-z0-9_-]+\.\d+ \.\. [A-Za-z0-9_-]+\.\d+$/m);
  assert.match(r.stdout, /^ok: 8 consecutive integers$/m);
});

test('recovery on: a handler taking one argument gets nothing, as docs/deploy.md warns', async () => {
  const r = await run(PYTHON, [SCRIPT, recovering.httpUrl, '--count', '3', '--timeout', '1.5'], { timeoutMs: 30000 });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /^FAIL: received 0 of 3 integers/m);
  assert.match(r.stderr, /TypeError: .*on_integer\(\) takes 1 positional argument but 2 were given/);
});
