// Bounded send queue: a client that never reads is closed with 1013 and a log
// line naming the send queue; other clients are unaffected.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withServer, sleep } from './lib/server.mjs';
import { openSio } from './lib/rawclient.mjs';

test('a client that never reads overflows its send queue: logged, closed with 1013', async (t) => {
  const srv = await withServer(t, {
    flags: {
      '--app': 'echo', '--send-queue-limit': '8', '--max-payload': '1000000',
      // no heartbeat interference while the client is not reading
      '--ping-interval-ms': '30000', '--ping-timeout-ms': '30000', '--connect-timeout-ms': '30000',
    },
  });
  const bystander = await openSio(srv.port, { readAuth: true });
  t.after(() => bystander.client.terminate());
  const { client } = await openSio(srv.port, { readAuth: true });
  t.after(() => client.terminate());
  client.ws.pause(); // stop reading: the kernel buffers fill, then the server queue

  const big = `42["message","${'y'.repeat(500000)}"]`;
  let overflowLine;
  const logged = srv.waitForLog(/send queue/i, 30000).then((l) => { overflowLine = l; });
  logged.catch(() => {});
  for (let i = 0; i < 200 && !overflowLine; i++) {
    await client.send(big).catch(() => {});
    if (client.ws.bufferedAmount > 4_000_000) await sleep(20);
    if (i % 10 === 9) await sleep(10);
  }
  await logged;
  assert.match(overflowLine, /send queue/i);

  // bystander unaffected
  await bystander.client.send('42["message","fine"]');
  assert.equal(await bystander.client.nextText(), '42["message-back","fine"]');

  // once the client reads again it sees the close code 1013 after the queued data
  client.ws.resume();
  const { code } = await client.nextClose(15000);
  assert.equal(code, 1013);
});
