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
before(async () => {
  server = await startServer({ tickMs: 20 });
});
after(async () => {
  await server?.stop();
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
