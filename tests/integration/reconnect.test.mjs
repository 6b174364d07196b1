// socket.io-client reconnects by itself after the server process is restarted
// on the same (fixed) port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, freePort } from './lib/server.mjs';
import { io } from './lib/deps.mjs';

function once(emitter, event, timeoutMs, what) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${what ?? event} within ${timeoutMs} ms`)), timeoutMs);
    emitter.once(event, (...args) => { clearTimeout(timer); resolve(args); });
  });
}

for (const app of ['integers', 'echo']) {
  test(`socket.io-client reconnects after a server restart on the same port (${app})`, async (t) => {
    const port = await freePort();
    let srv = await startServer({ port, flags: { '--app': app } });
    t.after(() => srv.kill());
    const sock = io(`http://127.0.0.1:${port}`, {
      transports: ['websocket'], reconnectionDelay: 100, reconnectionDelayMax: 300, randomizationFactor: 0, timeout: 2000,
    });
    t.after(() => sock.close());
    await once(sock, 'connect', 5000);
    const firstId = sock.id;
    if (app === 'integers') await once(sock, 'integer', 3000);
    else {
      const back = once(sock, 'message-back', 3000);
      sock.emit('message', 'before');
      assert.deepEqual(await back, ['before']);
    }

    const disconnected = once(sock, 'disconnect', 5000);
    const exit = await srv.stop({ signal: 'SIGTERM', timeoutMs: 5000 });
    assert.equal(exit.code, 0);
    await disconnected;
    assert.equal(sock.connected, false);

    srv = await startServer({ port, flags: { '--app': app } });
    await once(sock, 'connect', 8000, 'reconnect');
    assert.notEqual(sock.id, firstId, 'a new session after the restart');
    if (app === 'integers') {
      const [n] = await once(sock, 'integer', 3000);
      assert.ok(Number.isInteger(n));
    } else {
      const back = once(sock, 'message-back', 3000);
      sock.emit('message', 'after', 2);
      assert.deepEqual(await back, ['after', 2]);
    }
    sock.close();
    await srv.kill();
  });
}
