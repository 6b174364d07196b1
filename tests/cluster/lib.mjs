// Helpers of the cluster tests: beastio nodes on one real redis-server, and
// clients that record what they see.
import { startServer, waitUntil } from '../lib/fixture.mjs';
import { request } from '../integration/lib/http.mjs';
import { io, WebSocket } from '../integration/lib/deps.mjs';

export { waitUntil };

/** A beastio node of the cluster on redis (flags over the cluster defaults). */
export function startNode(redis, flags = {}, opts = {}) {
  return startServer({
    flags: { '--redis': redis.url, '--tick-ms': 50, '--cluster-lease-ms': 1000, '--redis-timeout-ms': 1000,
      '--redis-reconnect-max-ms': 500, ...flags },
    ...opts,
  });
}

export async function status(node) {
  const r = await request({ port: node.port, path: '/status' });
  if (r.status !== 200) throw new Error(`/status answered ${r.status}: ${r.body}`);
  return JSON.parse(r.body);
}

/** The node whose /status says it produces, once exactly one does. */
export async function leaderOf(nodes, timeoutMs = 8000) {
  let leader;
  await waitUntil(async () => {
    const leading = [];
    for (const n of nodes) if (n.alive && (await status(n)).integers?.leading) leading.push(n);
    leader = leading.length === 1 ? leading[0] : undefined;
    return leader !== undefined;
  }, timeoutMs, 'exactly one leading node');
  return leader;
}

/** A socket.io-client on node that records its integers (with their arrival times). */
export function integerClient(node, name) {
  const c = { name, node, values: [], times: [], socket: undefined };
  c.socket = io(node.httpUrl, { transports: ['websocket'], reconnection: false, forceNew: true });
  c.socket.on('integer', (n) => { c.values.push(n); c.times.push(Date.now()); });
  c.connected = new Promise((resolve, reject) => {
    c.socket.once('connect', resolve);
    c.socket.once('connect_error', reject);
  });
  c.close = () => c.socket.close();
  return c;
}

/** A plain-stream client (/_ws/) that records its integers. */
export function plainClient(node, name) {
  const c = { name, node, values: [], times: [] };
  c.ws = new WebSocket(`${node.wsUrl}/_ws/`, { perMessageDeflate: false });
  c.ws.on('message', (d) => { c.values.push(Number(d.toString())); c.times.push(Date.now()); });
  c.connected = new Promise((resolve, reject) => { c.ws.once('open', resolve); c.ws.once('error', reject); });
  c.close = () => c.ws.terminate();
  return c;
}

/** Fails unless every value is the previous one plus one. */
export function assertConsecutive(c) {
  for (let i = 1; i < c.values.length; i++) {
    if (c.values[i] !== c.values[i - 1] + 1) {
      throw new Error(`${c.name}: ${c.values[i - 1]} then ${c.values[i]} (a ${c.values[i] > c.values[i - 1] ? 'gap' : 'repeat'}); ` +
        `saw ${c.values.slice(Math.max(0, i - 5), i + 5).join(',')}`);
    }
  }
}

export function waitForCount(clients, n, timeoutMs, from = () => 0) {
  return waitUntil(() => clients.every((c) => c.values.length - from(c) >= n), timeoutMs,
    `every client to get ${n} integers (${clients.map((c) => `${c.name}:${c.values.length}`).join(' ')})`);
}
