// npm packages live in clients/node_modules (installed by `./dev setup` or
// `cd clients && npm ci`); ESM resolution from tests/ would not find them, so
// load their CommonJS builds through a require anchored at clients/package.json.
import { createRequire } from 'node:module';

const require = createRequire(new URL('../../../clients/package.json', import.meta.url));

export const WebSocket = require('ws');
const sio = require('socket.io-client');
export const io = sio.io;
