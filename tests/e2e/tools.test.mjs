// The command-line sessions shown in docs/clients.md, run with wsdump
// (Debian's python3-websocket): websocat sends and prints the same frames.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { spawn } from 'node:child_process';
import { startServer } from './lib/fixture.mjs';

const WSDUMP = '/usr/bin/wsdump';

let server;
before(async () => {
  // A short ping interval, so that the raw session also shows a ping.
  server = await startServer({ tickMs: 50, args: ['--ping-interval-ms', '300', '--ping-timeout-ms', '5000'] });
});
after(async () => {
  await server?.stop();
});

/**
 * Runs wsdump with stdin open until its output satisfies `enough` (or maxMs
 * passed), then closes stdin, which ends the session; returns the output.
 */
function wsdump(args, enough, maxMs = 8000) {
  return new Promise((resolve, reject) => {
    const child = spawn(WSDUMP, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    const check = () => {
      if (enough(out)) child.stdin.end();
    };
    child.stdout.on('data', (c) => {
      out += c.toString();
      check();
    });
    child.stderr.on('data', (c) => {
      out += c.toString();
    });
    const close = setTimeout(() => child.stdin.end(), maxMs);
    const kill = setTimeout(() => child.kill('SIGKILL'), maxMs + 5000);
    child.once('error', reject);
    child.once('close', () => {
      clearTimeout(close);
      clearTimeout(kill);
      resolve(out);
    });
  });
}

const lineCount = (out) => out.split('\n').filter(Boolean).length;

test('raw Engine.IO: open packet, "40" joins /, then 42["integer",N] frames and pings', { skip: !fs.existsSync(WSDUMP) && `${WSDUMP} not installed` }, async () => {
  const out = await wsdump(
    ['-r', '--text', '40', `${server.wsUrl}/socket.io/?EIO=4&transport=websocket`],
    (o) => lineCount(o) >= 10 && /^2$/m.test(o),
  );
  const lines = out.split('\n').filter(Boolean);
  assert.match(lines[0], /^0\{"sid":"[^"]+".*"pingInterval":\d+.*\}$/, out);
  assert.match(lines[1], /^40\{"sid":"[^"]+"\}$/, out);
  const pings = lines.slice(2).filter((l) => l === '2');
  assert.ok(pings.length >= 1, `no ping ("2") in:\n${out}`);
  const values = lines.slice(2).filter((l) => l !== '2').map((l) => Number(l.match(/^42\["integer",(\d+)\]$/)?.[1]));
  assert.ok(values.length >= 5 && values.every(Number.isInteger), out);
  assert.ok(values.every((v, i) => i === 0 || v === values[i - 1] + 1), out);
});

for (const target of ['/_ws/', '/_ws/any/path', '/socket.io/bar']) {
  test(`plain stream on ${target}: one text frame of digits per integer`, { skip: !fs.existsSync(WSDUMP) && `${WSDUMP} not installed` }, async () => {
    const out = await wsdump(['-r', `${server.wsUrl}${target}`], (o) => lineCount(o) >= 5);
    const lines = out.split('\n').filter(Boolean);
    assert.ok(lines.length >= 5 && lines.every((l) => /^\d+$/.test(l)), out);
  });
}
