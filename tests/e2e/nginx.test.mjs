// Debian's nginx as a reverse proxy in front of the server, configured with
// exactly the snippet shipped in clients/deploy/nginx-beastio.conf (and shown
// verbatim in docs/deploy.md); only the two addresses are rewritten.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SOURCE_DIR, collectIntegers, consecutive, freePort, importFromClients, launch, startServer, waitFor } from './lib/fixture.mjs';

const NGINX = '/usr/sbin/nginx';
const SNIPPET = path.join(SOURCE_DIR, 'clients', 'deploy', 'nginx-beastio.conf');
const DEPLOY_DOC = path.join(SOURCE_DIR, 'docs', 'deploy.md');

/** Replaces `from` by `to`, insisting that `from` occurs exactly once. */
function replaceOnce(text, from, to) {
  const parts = text.split(from);
  assert.equal(parts.length, 2, `expected exactly one "${from}" in ${SNIPPET}`);
  return parts.join(to);
}

let server;
let nginx;
let proxyUrl;
let tmp;

before(async () => {
  server = await startServer({ tickMs: 20 });
  const port = await freePort();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'beastio-nginx-'));
  let site = fs.readFileSync(SNIPPET, 'utf8');
  site = replaceOnce(site, 'server 127.0.0.1:3000;', `server 127.0.0.1:${server.port};`);
  site = replaceOnce(site, 'listen 80;', `listen 127.0.0.1:${port};`);
  fs.writeFileSync(path.join(tmp, 'beastio.conf'), site);
  // A minimal main configuration around the snippet, with every path in tmp.
  const main = [
    // As root, nginx would switch its workers to "nobody", which cannot use tmp.
    process.getuid && process.getuid() === 0 ? 'user root;' : '',
    'worker_processes 1;',
    'events { worker_connections 256; }',
    'http {',
    `    access_log ${tmp}/access.log;`,
    `    client_body_temp_path ${tmp}/body;`,
    `    proxy_temp_path ${tmp}/proxy;`,
    `    fastcgi_temp_path ${tmp}/fastcgi;`,
    `    uwsgi_temp_path ${tmp}/uwsgi;`,
    `    scgi_temp_path ${tmp}/scgi;`,
    `    include ${tmp}/beastio.conf;`,
    '}',
    '',
  ].join('\n');
  fs.writeFileSync(path.join(tmp, 'nginx.conf'), main);
  nginx = launch(NGINX, ['-p', tmp, '-c', path.join(tmp, 'nginx.conf'), '-e', `${tmp}/error.log`, '-g', `daemon off; pid ${tmp}/nginx.pid; error_log ${tmp}/error.log;`]);
  proxyUrl = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (nginx.child.exitCode !== null) throw new Error(`nginx exited: ${nginx.output()} ${readLog('error.log')}`);
      return (await fetch(`${proxyUrl}/cache-healthcheck?`)).ok;
    },
    { timeoutMs: 10000, what: 'nginx to proxy /cache-healthcheck?' },
  );
});

function readLog(name) {
  try {
    return fs.readFileSync(path.join(tmp, name), 'utf8');
  } catch {
    return '';
  }
}

after(async () => {
  if (nginx) await nginx.stop({ signal: 'SIGQUIT' });
  if (server) await server.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('docs/deploy.md shows the tested snippet verbatim', () => {
  const doc = fs.readFileSync(DEPLOY_DOC, 'utf8');
  const snippet = fs.readFileSync(SNIPPET, 'utf8').trimEnd();
  assert.ok(doc.includes(snippet), 'docs/deploy.md must contain clients/deploy/nginx-beastio.conf unchanged');
});

test('socket.io-client through nginx receives consecutive integers', async () => {
  const values = await collectIntegers(proxyUrl, { count: 10, timeoutMs: 10000 });
  assert.equal(values.length, 10);
  assert.ok(consecutive(values), `not consecutive: ${values}`);
});

test('the polling refusal passes through nginx: 400 with its JSON body', async () => {
  const direct = await fetch(`${server.httpUrl}/socket.io/?EIO=4&transport=polling`);
  const proxied = await fetch(`${proxyUrl}/socket.io/?EIO=4&transport=polling`);
  assert.equal(proxied.status, 400);
  assert.match(proxied.headers.get('content-type'), /^application\/json/);
  const body = await proxied.text();
  assert.equal(body, await direct.text(), 'same body as without the proxy');
  const json = JSON.parse(body);
  assert.equal(json.code, 0);
  assert.equal(json.message, 'Transport unknown');
  assert.match(json.hint, /transports: \["websocket"\]/);
});

test('/cache-healthcheck? passes through nginx', async () => {
  const res = await fetch(`${proxyUrl}/cache-healthcheck?`);
  assert.equal(res.status, 200);
  assert.equal((await res.text()).trim(), 'ok');
});

test('the plain stream /_ws/ works through nginx', async () => {
  const { default: WebSocket } = await importFromClients('ws');
  const ws = new WebSocket(`${proxyUrl.replace('http', 'ws')}/_ws/`);
  const values = [];
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`got ${values.length} frames`)), 10000);
      ws.on('error', reject);
      ws.on('message', (data) => {
        values.push(Number(data.toString()));
        if (values.length >= 5) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  } finally {
    ws.terminate();
  }
  assert.ok(consecutive(values), `not consecutive: ${values}`);
});
