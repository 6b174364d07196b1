#!/usr/bin/env node
// Plain WebSocket example for the beastio integer stream: no Socket.IO, one
// text frame per integer on /_ws/. Reconnects by itself with exponential
// backoff and jitter after any close or failed attempt, asking for what it
// missed with ?after=<last integer> (a server with --recovery-window-ms
// replays it, so nothing is lost).
import WebSocket from 'ws';
import { parseCommandLine, timestamp } from './lib/cli.mjs';
import { backoffDelay } from './lib/backoff.mjs';

const USAGE = `usage: node plain-stream.mjs [options]

Reads the plain integer stream of a beastio server over a WebSocket. After
a reconnect it asks for the integers it missed (?after=<last integer>);
servers with --recovery-window-ms replay them.

options:
  --url URL              stream address (default ws://localhost:3000/_ws/)
  --duration SECONDS     stop after this long (default: run until Ctrl-C)
  --reconnect-min-ms MS  first reconnect delay (default 500)
  --reconnect-max-ms MS  largest reconnect delay (default 5000)
  --jitter F             randomization factor of the delay, 0..1 (default 0.5)
  --no-resume            reconnect without ?after= (only the live integers)
  --help                 show this text`;

const SPEC = {
  url: { type: 'string', default: 'ws://localhost:3000/_ws/' },
  duration: { type: 'number', min: 0 },
  'reconnect-min-ms': { type: 'number', default: 500, min: 1 },
  'reconnect-max-ms': { type: 'number', default: 5000, min: 1 },
  jitter: { type: 'number', default: 0.5, min: 0 },
  'no-resume': { type: 'boolean' },
  help: { type: 'boolean' },
};

let parsed;
try {
  parsed = parseCommandLine(process.argv.slice(2), SPEC);
  if (parsed.positionals.length > 0) throw new Error(`unexpected argument "${parsed.positionals[0]}"`);
  if (parsed.options.jitter > 1) throw new Error('--jitter expects a number between 0 and 1');
} catch (err) {
  console.error(`plain-stream: ${err.message}\n\n${USAGE}`);
  process.exit(2);
}
const { options } = parsed;
if (options.help) {
  console.log(USAGE);
  process.exit(0);
}
const backoff = {
  baseMs: options['reconnect-min-ms'],
  maxMs: Math.max(options['reconnect-min-ms'], options['reconnect-max-ms']),
  jitter: options.jitter,
};
const say = (text) => console.log(`${timestamp()} ${text}`);

let ws = null;
let attempt = 0;
let retryTimer = null;
let stopping = false;
let last = null; // the last integer received

// The stream's address, asking for what came after the last integer.
function target() {
  if (last === null || options['no-resume']) return options.url;
  const u = new URL(options.url);
  u.searchParams.set('after', String(last));
  return u.toString();
}

function connect() {
  const url = target();
  say(attempt === 0 ? `connecting to ${url}` : `connecting to ${url} attempt=${attempt}`);
  const socket = new WebSocket(url, { handshakeTimeout: 5000 });
  ws = socket;
  let opened = false;
  socket.on('open', () => {
    opened = true;
    attempt = 0;
    say('connected');
  });
  socket.on('message', (data, isBinary) => {
    if (isBinary) return say(`unexpected binary frame of ${data.length} bytes`);
    const text = data.toString();
    const n = Number(text);
    if (Number.isSafeInteger(n)) {
      if (last !== null && n !== last + 1) say(`gap: ${last} then ${n}`);
      if (last === null || n > last) last = n;
    }
    say(`integer ${text}`);
  });
  socket.on('error', (err) => {
    // 'close' follows and schedules the retry.
    if (!stopping) say(`error "${err.message}"`);
  });
  socket.on('close', (code, reason) => {
    if (stopping) return;
    if (opened) say(`disconnected code=${code}${reason.length ? ` reason="${reason}"` : ''}`);
    const delay = backoffDelay(attempt++, backoff);
    say(`reconnecting in ${delay} ms`);
    retryTimer = setTimeout(connect, delay);
  });
}

function stop(why) {
  if (stopping) return;
  stopping = true;
  clearTimeout(retryTimer);
  say(`stopping (${why})`);
  if (ws && ws.readyState === WebSocket.OPEN) {
    ws.close(1000);
    setTimeout(() => process.exit(0), 200).unref();
    ws.once('close', () => process.exit(0));
  } else {
    if (ws) ws.terminate();
    process.exit(0);
  }
}

process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
if (options.duration !== undefined) setTimeout(() => stop(`${options.duration} s elapsed`), options.duration * 1000);
connect();
