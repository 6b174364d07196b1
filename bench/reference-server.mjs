// The reference for the side-by-side benchmark: socket.io 4.8 (Node) set up as
// the tuned baseline — websocket transport only, no client bundle served,
// default heartbeat (25 s / 20 s), and the upgrade request released after the
// handshake so it is not kept alive per connection. It serves the same
// application as beastio's default app: one shared counter emitted as
// 42["integer",N] on "/" once per tick, only while at least one client is
// connected.
//
//   node bench/reference-server.mjs --port 3001 --tick-ms 1000 [--recovery-window-ms N]
//
// Prints "listening on 127.0.0.1:<port>" on stderr once it accepts connections.
import http from 'node:http';
import { createRequire } from 'node:module';
import { parseCommandLine } from '../clients/lib/cli.mjs';

// The npm packages live in clients/ (one lockfile for the tree): socket.io 4.8.4, pinned there.
const { Server } = createRequire(new URL('../clients/package.json', import.meta.url))('socket.io');

let options;
try {
  ({ options } = parseCommandLine(process.argv.slice(2), {
    port: { type: 'number', default: 3001, min: 0 },
    'tick-ms': { type: 'number', default: 1000, min: 1 },
    address: { type: 'string', default: '127.0.0.1' },
    'recovery-window-ms': { type: 'number', default: 0, min: 0 },
  }));
} catch (err) {
  process.stderr.write(`reference-server: ${err.message}\n`);
  process.exit(2);
}

const httpServer = http.createServer((req, res) => {
  res.writeHead(404).end();
});
const io = new Server(httpServer, {
  path: '/socket.io/',
  transports: ['websocket'],
  serveClient: false,
  pingInterval: 25000,
  pingTimeout: 20000,
  // Connection state recovery, as beastio's --recovery-window-ms (off by default, as in socket.io).
  ...(options['recovery-window-ms'] > 0
    ? { connectionStateRecovery: { maxDisconnectionDuration: options['recovery-window-ms'], skipMiddlewares: true } }
    : {}),
});
io.engine.on('connection', (rawSocket) => {
  rawSocket.request = null;
});

let next = 0;
let timer = null;
let connected = 0;

function tick() {
  io.emit('integer', next++);
}

io.on('connection', (socket) => {
  connected++;
  if (connected === 1 && timer === null) timer = setInterval(tick, options['tick-ms']);
  socket.on('disconnect', () => {
    connected--;
    if (connected === 0 && timer !== null) {
      clearInterval(timer);
      timer = null;
    }
  });
});

httpServer.listen(options.port, options.address, () => {
  const { address, port } = httpServer.address();
  process.stderr.write(`listening on ${address}:${port}\n`);
});

const stop = () => {
  if (timer) clearInterval(timer);
  io.close();
  setTimeout(() => process.exit(0), 500).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
