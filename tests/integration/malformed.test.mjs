// Every malformed packet (protocol reference §3.6 and Engine.IO garbage) closes
// only the connection that sent it, with 1002; bystanders keep working.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withServer } from './lib/server.mjs';
import { openEio, openSio } from './lib/rawclient.mjs';
import { io } from './lib/deps.mjs';

const PH = (n) => `{"_placeholder":true,"num":${n}}`;
const bin = (...b) => Buffer.from(b);

// [name, joinFirst (CONNECT / before sending), frames]
const CASES = [
  ['unknown Socket.IO type 4abc', true, ['4abc']],
  ['type 7', true, ['47["message"]']],
  ['empty Engine.IO message 4', true, ['4']],
  ['EVENT payload not an array 42{}', true, ['42{}']],
  ['EVENT payload a string', true, ['42"message"']],
  ['EVENT with letters as ack id', true, ['42abc["message"]']],
  ['EVENT empty array 42[]', true, ['42[]']],
  ['EVENT without payload 42', true, ['42']],
  ['EVENT name null', true, ['42[null,1]']],
  ['EVENT name object', true, ['42[{"a":1}]']],
  ['reserved event name disconnect', true, ['42["disconnect"]']],
  ['reserved event name connect', true, ['42["connect"]']],
  ['reserved event name connect_error', true, ['42["connect_error",1]']],
  ['reserved event name disconnecting', true, ['42["disconnecting"]']],
  ['reserved event name newListener', true, ['42["newListener"]']],
  ['reserved event name removeListener', true, ['42["removeListener"]']],
  ['truncated JSON', true, ['42["message",']],
  ['trailing garbage after JSON', true, ['42["message"]x']],
  ['invalid JSON token', true, ['42["message",tru]']],
  ['ACK payload not an array', true, ['431{"a":1}']],
  ['DISCONNECT with a payload', true, ['41{"x":1}']],
  ['CONNECT payload a string 40"str"', false, ['40"str"']],
  ['CONNECT payload an array 40[1]', false, ['40[1]']],
  ['CONNECT payload invalid JSON', false, ['40{"token":']],
  ['placeholder num out of range', true, [`451-["message",${PH(1)}]`, bin(1)]],
  ['placeholder num negative', true, [`451-["message",${PH(-1)}]`, bin(1)]],
  ['placeholder num not a number', true, [`451-["message",{"_placeholder":true,"num":"0"}]`, bin(1)]],
  ['too many attachments 4511-', true, [`4511-["message",${PH(0)}]`]],
  ['unexpected binary frame', true, [bin(1, 2, 3)]],
  ['unexpected binary frame before CONNECT', false, [bin(1)]],
  ['unexpected b<base64> frame', true, ['bAQID']],
  ['text frame while attachments pending', true, [`452-["message",${PH(0)},${PH(1)}]`, bin(1), '42["message","x"]']],
  ['binary type without attachment count', true, [`45["message",${PH(0)}]`]],
  ['Engine.IO garbage abc', true, ['abc']],
  ['empty text frame', true, ['']],
];

test('malformed packets close their own connection (1002); bystanders are untouched', async (t) => {
  const srv = await withServer(t, { flags: { '--app': 'echo', '--threads': '2', '--connect-timeout-ms': '20000' } });
  const raw = await openSio(srv.port, { readAuth: true });
  t.after(() => raw.client.terminate());
  const custom = await openSio(srv.port, { nsp: '/custom', readAuth: true });
  t.after(() => custom.client.terminate());
  const sio = io(`http://127.0.0.1:${srv.port}`, { transports: ['websocket'], reconnection: false, timeout: 3000 });
  t.after(() => sio.close());
  await new Promise((resolve, reject) => { sio.once('connect', resolve); sio.once('connect_error', reject); });
  let sioDisconnected = false;
  sio.on('disconnect', () => { sioDisconnected = true; });

  let i = 0;
  for (const [name, joinFirst, frames] of CASES) {
    i++;
    const { client } = joinFirst ? await openSio(srv.port, { readAuth: true }) : await openEio(srv.port);
    for (const f of frames) await client.send(f);
    const { code } = await client.nextClose(2000).catch((e) => { client.terminate(); throw new Error(`${name}: ${e.message}`); });
    assert.equal(code, 1002, `${name}: close code (frames received: ${JSON.stringify(client.frames)})`);
    assert.deepEqual(client.frames.filter((f) => f.type === 'text' && f.data !== '2'), [], `${name}: nothing sent back before the close`);

    // bystanders: a raw client on /, a raw client on /custom and socket.io-client
    await raw.client.send(`42["message","alive-${i}"]`);
    assert.equal(await raw.client.nextText(), `42["message-back","alive-${i}"]`, `${name}: raw bystander`);
    await custom.client.send(`42/custom,["message","alive-${i}"]`);
    assert.equal(custom.client.isClosed, false, `${name}: /custom bystander still open`);
    const echoed = await sio.timeout(2000).emitWithAck('message-with-ack', i);
    assert.equal(echoed, i, `${name}: socket.io-client bystander`);
  }
  assert.equal(sioDisconnected, false);
  assert.equal(raw.client.isClosed, false);
  assert.equal(custom.client.isClosed, false);
  // and new clients are still served
  const late = await openSio(srv.port, { readAuth: true });
  await late.client.send('42["message","late"]');
  assert.equal(await late.client.nextText(), '42["message-back","late"]');
  late.client.terminate();
});
