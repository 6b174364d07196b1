// A loopback TCP proxy the test controls, to cut connections the way a
// network or a load balancer does: cut() resets both sides of every
// connection (the client sees its TCP connection die, the server a reset),
// halfOpen() drops the client side only and leaves the server side open and
// silent (the server does not notice until its heartbeat gives up).
// retarget(port) sends the next connections elsewhere (a load balancer that
// picks another node).
import net from 'node:net';

export async function startProxy(targetPort, { host = '127.0.0.1' } = {}) {
  const pairs = new Set();
  let target = targetPort;
  const server = net.createServer((client) => {
    const upstream = net.connect(target, host);
    const pair = { client, upstream, halfOpen: false };
    pairs.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    const drop = () => pairs.delete(pair);
    client.on('error', () => {});
    upstream.on('error', () => {});
    client.on('close', () => { drop(); if (!pair.halfOpen) upstream.destroy(); });
    upstream.on('close', () => { drop(); client.destroy(); });
  });
  await new Promise((resolve) => server.listen(0, host, resolve));
  return {
    port: server.address().port,
    retarget(port) { target = port; },
    /** Connections open now. */
    get size() { return pairs.size; },
    cut() {
      const n = pairs.size;
      for (const p of [...pairs]) { p.client.resetAndDestroy(); p.upstream.resetAndDestroy(); }
      return n;
    },
    halfOpen() {
      for (const p of [...pairs]) {
        p.halfOpen = true;
        p.upstream.unpipe(p.client);
        p.client.unpipe(p.upstream);
        p.upstream.pause();
        p.client.resetAndDestroy();
      }
    },
    close() {
      for (const p of pairs) { p.client.destroy(); p.upstream.destroy(); }
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
