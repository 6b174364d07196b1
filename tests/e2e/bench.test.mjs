// Smoke test of the benchmark (bench/run.mjs --quick): the C++ load generator
// against beastio, the socket.io reference server and the floor sender. It
// checks that the harness counts correctly and that every figure is present
// and finite; timings are never asserted here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SOURCE_DIR, beastioBinary } from '../lib/fixture.mjs';

const RUNNER = path.join(SOURCE_DIR, 'bench', 'run.mjs');

function runQuick(jsonFile) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RUNNER, '--quick', '--json', jsonFile, '--md', '-', '--beastio', beastioBinary()], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGTERM'), 120000);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

test('bench/run.mjs --quick: every server, complete counts, finite figures', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'beastio-bench-'));
  const jsonFile = path.join(dir, 'bench.json');
  try {
    const { code, signal, stdout, stderr } = await runQuick(jsonFile);
    const context = `exit ${code ?? signal}\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`;
    assert.equal(code, 0, context);
    assert.match(stdout, /^### CPU per delivery/m, context);
    assert.match(stdout, /^\| 200 × 50 Hz \| beastio \|/m, context);

    const { meta, raw } = JSON.parse(fs.readFileSync(jsonFile, 'utf8'));
    for (const key of ['beastio', 'node', 'socketio', 'kernel', 'nproc']) assert.ok(meta.versions[key], `version ${key}`);
    const kinds = ['beastio', 'socket.io', 'floor'];
    for (const kind of kinds) {
      const d = raw.deliver.find((r) => r.kind === kind);
      const what = `${kind} ${d?.clients} × ${d?.rate} Hz`;
      assert.ok(d, `no delivery run for ${kind}`);
      assert.equal(d.exitCode, 0, `${what}: ${d.stderr}`);
      assert.equal(d.joined, d.clients, `${what}: not all joined`);
      assert.equal(d.errors, 0, what);
      // Counting: every integer consecutive per client, and no more deliveries than were sent.
      assert.equal(d.gaps, 0, `${what}: gaps`);
      assert.equal(d.duplicates, 0, `${what}: duplicates`);
      assert.ok(d.deliveries > 0, `${what}: no deliveries`);
      assert.ok(d.deliveries <= d.clients * Math.ceil(d.window_s * d.rate + 2), `${what}: ${d.deliveries} deliveries counted`);
      assert.ok(d.received >= d.deliveries, what);
      assert.ok(d.ticks_complete > 0 && d.ticks_complete <= d.ticks_followed, `${what}: ticks ${d.ticks_complete}/${d.ticks_followed}`);
      for (const k of ['server_us', 'server_user_us', 'server_sys_us', 'client_cpu', 'latency_p50_ms', 'latency_p99_ms',
        'spread_p50_ms', 'spread_p99_ms', 'deliveries_per_s']) {
        assert.ok(Number.isFinite(d[k]) && d[k] >= 0, `${what}: ${k} = ${d[k]}`);
      }
      assert.ok(d.latency_p99_ms >= d.latency_p50_ms, what);
      const idle = raw.idle.find((r) => r.kind === kind);
      assert.ok(idle, `no idle run for ${kind}`);
      assert.equal(idle.joined, idle.clients, `${kind} idle: not all joined`);
      assert.ok(idle.idle_rss_before_kib > 0 && idle.idle_rss_after_kib > 0, `${kind} idle: RSS not read`);
      assert.ok(Number.isFinite(idle.rss_per_conn_bytes), `${kind} idle`);
      assert.ok(idle.handshakes_per_s > 0, `${kind} idle: handshakes/s`);
    }
    for (const kind of ['beastio', 'socket.io']) {
      const s = raw.storm.find((r) => r.kind === kind);
      assert.ok(s, `no storm run for ${kind}`);
      assert.equal(s.exitCode, 0, `${kind} storm: ${s.stderr}`);
      assert.equal(s.joined, s.clients, `${kind} storm: not all rejoined`);
      assert.equal(s.storm_rejoined, s.clients, `${kind} storm`);
      assert.ok(s.storm_s > 0, `${kind} storm: ${s.storm_s}`);
      assert.equal(s.duplicates, 0, `${kind} storm: duplicates`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
