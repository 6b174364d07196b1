#!/usr/bin/env node
// Test client for the beastio "integers as a service" demo.
// Connects one or more socket.io-client instances over the websocket transport,
// prints every `integer` event and every connection change, reconnects by
// itself after any disconnect, and in --check mode verifies the stream.
import { io } from 'socket.io-client';
import { parseCommandLine, timestamp, pollingRefusalHint } from './lib/cli.mjs';
import { backoffDelay } from './lib/backoff.mjs';
import { SequenceRecorder, checkAll, formatSummary } from './lib/sequence-check.mjs';

const USAGE = `usage: node integers-client.mjs [URL] [options]

Connects to a beastio server (default URL http://localhost:3000) with
socket.io-client over the websocket transport and prints the integers.

options:
  --path PATH            Socket.IO path (default /socket.io/)
  --clients N            number of parallel clients, each with its own
                         connection (default 1)
  --duration SECONDS     stop after this long (default: run until Ctrl-C)
  --quiet                print only errors and the final summary
  --check                track the integers each client receives; report
                         gaps, duplicates and reorderings within one session
                         (a reconnect the server recovered continues the
                         session: a gap across it is a failure; a jump into
                         a fresh session, after the recovery window or with
                         recovery off, is expected and reported), compare
                         clients connected at the same time, print a summary
                         and exit 1 on any problem or when a client received
                         nothing
  --skew-ms MS           --check: tolerance at the edges of the time two
                         clients were both connected (default 500)
  --reconnect-min-ms MS  first reconnect delay (default 500)
  --reconnect-max-ms MS  largest reconnect delay (default 5000)
  --jitter F             randomization factor of the delay, 0..1 (default 0.5)
  --default-transports   do not force the websocket transport (shows what an
                         unconfigured client gets: the polling refusal)
  --help                 show this text

exit status: 0 on success, 1 when --check found a problem, 2 on bad usage.`;

const SPEC = {
  path: { type: 'string', default: '/socket.io/' },
  clients: { type: 'number', default: 1, min: 1 },
  duration: { type: 'number', min: 0 },
  quiet: { type: 'boolean' },
  check: { type: 'boolean' },
  'skew-ms': { type: 'number', default: 500, min: 0 },
  'reconnect-min-ms': { type: 'number', default: 500, min: 1 },
  'reconnect-max-ms': { type: 'number', default: 5000, min: 1 },
  jitter: { type: 'number', default: 0.5, min: 0 },
  'default-transports': { type: 'boolean' },
  help: { type: 'boolean' },
};

function main(argv) {
  let parsed;
  try {
    parsed = parseCommandLine(argv, SPEC);
    if (parsed.positionals.length > 1) throw new Error('at most one URL');
    if (!Number.isInteger(parsed.options.clients)) throw new Error('--clients expects an integer');
    if (parsed.options.jitter > 1) throw new Error('--jitter expects a number between 0 and 1');
  } catch (err) {
    console.error(`integers-client: ${err.message}\n\n${USAGE}`);
    process.exit(2);
  }
  const { options, positionals } = parsed;
  if (options.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const url = positionals[0] ?? 'http://localhost:3000';
  const backoff = {
    baseMs: options['reconnect-min-ms'],
    maxMs: Math.max(options['reconnect-min-ms'], options['reconnect-max-ms']),
    jitter: options.jitter,
  };
  const many = options.clients > 1;
  const say = (name, text) => console.log(`${timestamp()} ${many ? `${name} ` : ''}${text}`);
  const chatty = !options.quiet;

  const clients = [];
  for (let i = 1; i <= options.clients; i++) {
    clients.push(startClient(`c${i}`, url, options, backoff, say, chatty));
  }

  let finished = false;
  const finish = (why) => {
    if (finished) return;
    finished = true;
    const stoppedAt = Date.now();
    for (const c of clients) c.stop(stoppedAt);
    if (chatty) console.log(`${timestamp()} stopping (${why})`);
    let ok = true;
    if (options.check) {
      const report = checkAll(clients.map((c) => c.recorder), { skewMs: options['skew-ms'], now: stoppedAt });
      for (const line of formatSummary(report)) console.log(line);
      ok = report.ok;
    }
    // Let the close frames go out before leaving.
    setTimeout(() => process.exit(ok ? 0 : 1), 100);
  };
  if (options.duration !== undefined) setTimeout(() => finish(`${options.duration} s elapsed`), options.duration * 1000);
  process.on('SIGINT', () => finish('SIGINT'));
  process.on('SIGTERM', () => finish('SIGTERM'));
}

function startClient(name, url, options, backoff, say, chatty) {
  const recorder = new SequenceRecorder(name);
  const socket = io(url, {
    path: options.path,
    // The server speaks only WebSocket: never start with HTTP long-polling.
    ...(options['default-transports'] ? {} : { transports: ['websocket'] }),
    forceNew: true, // one Manager (one connection) per client
    reconnection: true,
    reconnectionAttempts: Infinity,
    reconnectionDelay: backoff.baseMs,
    reconnectionDelayMax: backoff.maxMs,
    randomizationFactor: backoff.jitter,
    timeout: 5000,
  });
  let stopped = false;
  let manualAttempts = 0;
  let manualTimer = null;
  let lastError = '';

  let everConnected = false;
  socket.on('connect', () => {
    // With connection state recovery (the server's --recovery-window-ms) a
    // reconnect resumes the session: the integers missed meanwhile came just
    // before this event.
    const { replayed } = recorder.connect(Date.now(), { recovered: socket.recovered });
    manualAttempts = 0;
    lastError = '';
    if (chatty) {
      let how = '';
      if (socket.recovered) how = ` recovered (${replayed} integer(s) replayed)`;
      else if (everConnected) how = ' fresh session (recovery off, or its window expired)';
      say(name, `connected id=${socket.id}${how}`);
    }
    everConnected = true;
  });
  socket.on('integer', (value) => {
    recorder.value(value, Date.now());
    if (chatty) say(name, `integer ${value}`);
  });
  socket.on('disconnect', (reason, details) => {
    recorder.disconnect(Date.now());
    if (stopped) return;
    const extra = details && details.description ? ` (${describe(details.description)})` : '';
    if (chatty) say(name, `disconnected reason="${reason}"${extra}`);
    if (reason === 'io server disconnect') {
      // The server closed this Socket.IO session on purpose; the Manager does
      // not retry in that case, so come back by ourselves after a backoff.
      scheduleManualReconnect();
    }
  });
  socket.on('connect_error', (err) => {
    if (stopped) return;
    const hint = pollingRefusalHint(err);
    const text = hint ? `connect_error "${err.message}": the server refused HTTP long-polling: ${hint}` : `connect_error "${err.message}"${err.description ? ` (${describe(err.description)})` : ''}`;
    // In quiet mode, say each distinct error once per outage.
    if (chatty || text !== lastError) say(name, text);
    lastError = text;
    if (!socket.active) scheduleManualReconnect(); // e.g. the server refused the namespace
  });
  socket.io.on('reconnect_attempt', (attempt) => {
    if (chatty && !stopped) say(name, `reconnecting attempt=${attempt}`);
  });

  function scheduleManualReconnect() {
    if (stopped || manualTimer) return;
    const delay = backoffDelay(manualAttempts++, backoff);
    if (chatty) say(name, `reconnecting in ${delay} ms`);
    manualTimer = setTimeout(() => {
      manualTimer = null;
      if (!stopped && !socket.connected) socket.connect();
    }, delay);
  }

  return {
    recorder,
    stop(t) {
      stopped = true;
      clearTimeout(manualTimer);
      recorder.disconnect(t);
      socket.disconnect();
    },
  };
}

function describe(d) {
  if (d instanceof Error) return d.message;
  if (d && typeof d === 'object' && 'message' in d) return String(d.message);
  return String(d);
}

main(process.argv.slice(2));
