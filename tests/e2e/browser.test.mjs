// Headless Chromium (Debian's) loads the demo page from the server, sees the
// integers, survives a server restart on the same port, and leaves a
// screenshot (browser.png) in BEASTIO_ARTIFACT_DIR or the working directory.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { SOURCE_DIR, artifactDir, freePort, importFromClients, startServer } from './lib/fixture.mjs';
import { startProxy } from '../lib/proxy.mjs';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

const cleanup = [];
after(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => {});
});

let browserPromise;
/** One Chromium for the whole file, closed in after(). */
function launchBrowser() {
  browserPromise ??= (async () => {
    const { chromium } = await importFromClients('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, timeout: 30000 });
    cleanup.push(() => browser.close());
    return browser;
  })();
  return browserPromise;
}

async function latest(page) {
  const text = await page.textContent('#latest');
  return /^\d+$/.test(text.trim()) ? Number(text.trim()) : null;
}

test('the page shows integers and reconnects after a server restart', { timeout: 90000 }, async () => {
  const port = await freePort();
  const staticDir = path.join(SOURCE_DIR, 'clients', 'browser');
  const serverArgs = { port, tickMs: 100, args: ['--static-dir', staticDir] };
  let server = await startServer(serverArgs);
  cleanup.push(() => server.stop());

  const browser = await launchBrowser();
  const page = await browser.newPage({ viewport: { width: 900, height: 720 } });
  page.setDefaultTimeout(15000);
  const pageErrors = [];
  const badResponses = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('response', (res) => {
    if (res.status() >= 400) badResponses.push(`${res.status()} ${res.url()}`);
  });

  const response = await page.goto(`${server.httpUrl}/`);
  assert.equal(response.status(), 200);
  assert.equal(await page.title(), 'Integers as a service · beastio');

  // Connected, and integers arrive and increase.
  await page.waitForSelector('#state[data-state="connected"]');
  assert.equal((await page.textContent('#state')).trim(), 'connected');
  await page.waitForFunction(() => /^\d+$/.test(document.querySelector('#latest').textContent.trim()));
  const first = await latest(page);
  await page.waitForFunction((v) => Number(document.querySelector('#latest').textContent) >= v + 3, first);
  const history = (await page.$$eval('#history li', (items) => items.map((li) => Number(li.textContent)))).slice(0, 4);
  assert.ok(history.length >= 4, `history: ${history}`);
  for (let i = 1; i < history.length; i++) assert.equal(history[i], history[i - 1] - 1, `history newest first: ${history}`);
  assert.equal((await page.textContent('#reconnects')).trim(), '0');

  // Server goes away (SIGTERM): the page notices and keeps trying.
  const stopped = await server.stop();
  assert.equal(stopped.code, 0, `server exit status after SIGTERM: ${JSON.stringify(stopped)}\n${server.log()}`);
  await page.waitForFunction(() => document.querySelector('#state').dataset.state !== 'connected');
  await page.waitForSelector('#state[data-state="reconnecting"]');

  // Server comes back on the same port: the page reconnects by itself.
  server = await startServer(serverArgs);
  await page.waitForSelector('#state[data-state="connected"]', { timeout: 20000 });
  const reconnects = Number(await page.textContent('#reconnects'));
  assert.ok(reconnects >= 1, `reconnect count ${reconnects}`);
  const received = Number(await page.textContent('#received'));
  await page.waitForFunction((n) => Number(document.querySelector('#received').textContent) >= n + 3, received);
  const after = await latest(page);
  assert.ok(after !== null, 'an integer is shown after the restart');
  await page.waitForFunction((v) => Number(document.querySelector('#latest').textContent) > v, after);

  const file = path.join(artifactDir(), 'browser.png');
  await page.screenshot({ path: file });
  console.log(`screenshot: ${file}`);

  assert.deepEqual(pageErrors, [], 'no errors in the page');
  assert.deepEqual(badResponses, [], 'no failed requests');
});

test('the page resumes its session across a cut connection: recovered, nothing missing', { timeout: 90000 }, async () => {
  const staticDir = path.join(SOURCE_DIR, 'clients', 'browser');
  const server = await startServer({ tickMs: 100, args: ['--static-dir', staticDir, '--recovery-window-ms', '60000'] });
  cleanup.push(() => server.stop());
  // The page and its WebSocket go through a proxy the test cuts (a network
  // fault, a load balancer going away); a Node bystander keeps the producer going.
  const proxy = await startProxy(server.port);
  cleanup.push(() => proxy.close());
  const { io } = await importFromClients('socket.io-client');
  const bystander = io(server.httpUrl, { transports: ['websocket'] });
  cleanup.push(async () => bystander.close());
  const bystanderSeen = [];
  bystander.on('integer', (n) => bystanderSeen.push(n));

  const browser = await launchBrowser();
  const page = await browser.newPage({ viewport: { width: 900, height: 720 } });
  page.setDefaultTimeout(15000);
  const pageErrors = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  await page.goto(`http://127.0.0.1:${proxy.port}/`);
  await page.waitForSelector('#state[data-state="connected"]');
  const id = (await page.textContent('#sid')).trim();
  await page.waitForFunction(() => Number(document.querySelector('#received').textContent) >= 3);
  // Every integer the page shows, in order (the history keeps only the last 20).
  await page.evaluate(() => {
    window.seen = [];
    window.beastio.socket.on('integer', (n) => window.seen.push(n));
  });

  for (let cut = 1; cut <= 2; cut++) {
    await page.waitForFunction(() => window.seen.length >= 3);
    assert.ok(proxy.cut() >= 1, 'the page had a connection to cut');
    await page.waitForFunction((n) => Number(document.querySelector('#recovered').textContent) >= n, cut, { timeout: 20000 });
    await page.waitForSelector('#state[data-state="connected"]');
    assert.equal((await page.textContent('#sid')).trim(), id, 'the same session id');
    assert.match(await page.textContent('#state-detail'), /recovered, \d+ replayed/);
  }
  const last = bystanderSeen.at(-1);
  await page.waitForFunction((v) => window.seen.at(-1) >= v + 2, last);
  const seen = await page.evaluate(() => window.seen);
  for (let i = 1; i < seen.length; i++) assert.equal(seen[i], seen[i - 1] + 1, `consecutive across the cuts: ${seen.join(' ')}`);
  assert.equal((await page.textContent('#reconnects')).trim(), '2');
  assert.equal((await page.textContent('#recovered')).trim(), '2');
  const replayed = Number(await page.textContent('#replayed'));
  assert.ok(replayed >= 1, `integers replayed: ${replayed}`);
  assert.ok(await page.$('#history li.history__replayed'), 'replayed integers are marked in the history');
  await page.screenshot({ path: path.join(artifactDir(), 'browser-recovered.png') });
  assert.deepEqual(pageErrors, [], 'no errors in the page');
  await page.close();
});

test('in a browser, a client with default transports gets the refusal in connect_error', { timeout: 60000 }, async () => {
  const server = await startServer({ tickMs: 100 });
  cleanup.push(() => server.stop());
  const browser = await launchBrowser();
  const page = await browser.newPage();
  await page.goto(`${server.httpUrl}/`);
  const seen = await page.evaluate(
    () =>
      new Promise((resolve) => {
        // What docs/clients.md describes: no transports option at all.
        const socket = window.io({ reconnection: false, forceNew: true });
        socket.on('connect', () => resolve({ connected: true }));
        socket.on('connect_error', (err) => {
          resolve({ message: err.message, status: err.context && err.context.status, body: err.context && err.context.responseText });
          socket.close();
        });
      }),
  );
  assert.equal(seen.connected, undefined, 'must not connect over polling');
  assert.equal(seen.message, 'xhr poll error');
  assert.equal(seen.status, 400);
  const body = JSON.parse(seen.body);
  assert.equal(body.code, 0);
  assert.equal(body.message, 'Transport unknown');
  assert.match(body.hint, /transports: \["websocket"\]/);
  await page.close();
});
