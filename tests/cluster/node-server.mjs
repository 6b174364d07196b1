// A Node socket.io 4.8 node with @socket.io/redis-adapter 8, or with
// @socket.io/redis-streams-adapter 0.3 (the versions pinned in
// clients/package-lock.json), websocket-only, for the interop tests: it joins
// the same cluster as the beastio nodes.
//   node node-server.mjs --port N --redis redis://127.0.0.1:P [--adapter streams] [--recovery-window-ms MS]
// Handlers (the same names as beastio's echo service): join(room) acks true,
// to-room(room, ...args) sends room-message(...args) to the room and acks,
// shout(...args) emits "shout" to every socket of the cluster and acks;
// the cluster-wide verbs for the request half of the protocol: fetch (acks
// [{id, rooms, data}] of every node), all-rooms, sockets-join(from, to),
// ask-all(event) (io.timeout(3000).emitWithAck: acks {error?, answers}).
import { createRequire } from 'node:module';
import http from 'node:http';

const require = createRequire(new URL('../../clients/package.json', import.meta.url));
const { Server } = require('socket.io');
const { createAdapter } = require('@socket.io/redis-adapter');
const streams = require('@socket.io/redis-streams-adapter');
const { createClient } = require('redis');

const arg = (name) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const port = Number(arg('--port'));
const url = arg('--redis');
const adapterName = arg('--adapter') ?? 'pubsub';
const window = Number(arg('--recovery-window-ms') ?? 0);

const pub = createClient({ url });
const sub = pub.duplicate();
pub.on('error', (e) => console.error(`redis pub: ${e.message}`));
sub.on('error', (e) => console.error(`redis sub: ${e.message}`));
await Promise.all([pub.connect(), sub.connect()]);

const server = http.createServer();
const io = new Server(server, {
  transports: ['websocket'],
  adapter: adapterName === 'streams' ? streams.createAdapter(pub) : createAdapter(pub, sub),
  ...(window > 0 ? { connectionStateRecovery: { maxDisconnectionDuration: window } } : {}),
});
io.on('connection', (socket) => {
  socket.on('join', (room, ack) => { socket.join(room); ack?.(true); });
  socket.on('to-room', (room, ...rest) => {
    const ack = typeof rest.at(-1) === 'function' ? rest.pop() : undefined;
    io.to(room).emit('room-message', ...rest);
    ack?.(0);
  });
  socket.on('fetch', async (ack) => {
    const all = await io.fetchSockets();
    ack(all.map((s) => ({ id: s.id, rooms: [...s.rooms], data: s.data, address: s.handshake.address })));
  });
  socket.on('all-rooms', async (ack) => ack([...(await io.of('/').adapter.allRooms())]));
  socket.on('sockets-join', (from, to, ack) => { io.in(from).socketsJoin(to); ack(true); });
  socket.on('ask-all', async (event, ack) => {
    try {
      ack({ answers: await io.timeout(3000).emitWithAck(event) });
    } catch (e) {
      ack({ error: e.message });
    }
  });
  socket.on('shout', (...rest) => {
    const ack = typeof rest.at(-1) === 'function' ? rest.pop() : undefined;
    io.emit('shout', ...rest);
    ack?.(0);
  });
});
// "/api": the server-side events of the interop tests, as beastio's echo service has them.
const api = io.of('/api');
api.on('connection', (socket) => {
  socket.on('join', (room, ack) => { socket.join(room); ack?.(true); });
  socket.on('server-emit', (event, ...rest) => {
    const ack = typeof rest.at(-1) === 'function' ? rest.pop() : undefined;
    api.serverSideEmit(event, ...rest);
    ack?.(true);
  });
});
// server-ask(event): serverSideEmitWithAck, acking {answers} or {error}; "ping?" from another node is answered.
api.on('connection', (socket) => {
  socket.on('server-ask', async (event, ack) => {
    try {
      ack({ answers: await api.serverSideEmitWithAck(event) });
    } catch (e) {
      ack({ error: e.message });
    }
  });
});
api.on('ping?', (cb) => cb('pong from node'));
for (const event of ['hello', 'hi']) {
  api.on(event, (...args) => api.local.emit('server-side', event, ...args));
}
server.listen(port, '127.0.0.1', () => console.error(`node socket.io listening on 127.0.0.1:${port}`));
process.on('SIGTERM', () => { io.close(); process.exit(0); });
