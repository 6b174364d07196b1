// Smoke test of the benchmark runner: `run.mjs --quick` against beastio and
// the socket.io reference server. It checks that the harness works and
// reports sane, complete numbers; timings are never asserted here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLIENTS_DIR } from './lib/fixture.mjs';
import { beastioBinary } from '../lib/fixture.mjs';

const RUNNER = path.join(CLIENTS_DIR, 'bench', 'run.mjs');

function runQuick(outFile) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RUNNER, '--quick', '--out', outFile, '--beastio', beastioBinary()], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    // The runner kills its own children on SIGTERM.
    const timer = setTimeout(() => child.kill('SIGTERM'), 90000);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

test('run.mjs --quick measures both servers and reports complete, finite results', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'beastio-bench-'));
  const outFile = path.join(dir, 'bench.json');
  try {
    const { code, signal, stdout, stderr } = await runQuick(outFile);
    const context = `exit ${code ?? signal}\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`;
    assert.equal(code, 0, context);
    assert.match(stdout, /^\| N × rate \| metric \| beastio \| socket\.io \|/m, context);

    const { meta, runs, rows } = JSON.parse(fs.readFileSync(outFile, 'utf8'));
    for (const key of ['beastio', 'node', 'socketio', 'kernel', 'nproc']) {
      assert.ok(meta.versions[key], `version ${key} missing`);
    }
    for (const server of ['beastio', 'socket.io']) {
      assert.ok(runs.some((r) => r.server === server && r.kind === 'memory'), `no memory run for ${server}`);
      assert.ok(runs.some((r) => r.server === server && r.kind === 'rate'), `no rate run for ${server}`);
    }
    for (const r of runs) {
      const what = `${r.kind} ${r.server} N=${r.clients}`;
      assert.equal(r.connected, r.clients, `${what}: not all clients connected`);
      assert.equal(r.failed, 0, what);
      if (r.kind === 'memory') {
        assert.ok(Number.isFinite(r.rssPerConnBytes), `${what}: rssPerConnBytes ${r.rssPerConnBytes}`);
        assert.ok(r.rssAfterKiB > 0 && r.rssBeforeKiB > 0, what);
      } else {
        assert.ok(r.deliveries > 0, `${what}: no deliveries`);
        assert.equal(r.gaps, 0, `${what}: gaps`);
        assert.equal(r.duplicates, 0, `${what}: duplicates`);
        assert.equal(r.closedAfterConnect, 0, `${what}: connections closed`);
        for (const k of ['deliveriesPerSec', 'serverCpuPct', 'cpuUsPerDelivery', 'clientCpuPct', 'spreadP50Ms', 'spreadP99Ms']) {
          assert.ok(Number.isFinite(r[k]) && r[k] >= 0, `${what}: ${k} = ${r[k]}`);
        }
        assert.ok(r.spreadIntegers > 0, `${what}: no complete integer for the spread`);
      }
    }
    assert.ok(rows.length >= 4, 'summary rows');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
