// beastio demo page: shows the integer stream of the server that served it.
// Plain script (no modules, no framework); socket.io.min.js defines `io`.
(function () {
  'use strict';

  var HISTORY_LENGTH = 20;
  var el = {
    state: document.getElementById('state'),
    stateDetail: document.getElementById('state-detail'),
    latest: document.getElementById('latest'),
    history: document.getElementById('history'),
    reconnects: document.getElementById('reconnects'),
    recovered: document.getElementById('recovered'),
    replayed: document.getElementById('replayed'),
    sid: document.getElementById('sid'),
    received: document.getElementById('received'),
    message: document.getElementById('message'),
  };

  function setState(state, detail) {
    el.state.textContent = state;
    el.stateDetail.textContent = detail ? ' · ' + detail : '';
    el.state.dataset.state = state;
    document.body.dataset.state = state;
  }

  function showMessage(text) {
    el.message.textContent = text || '';
    el.message.hidden = !text;
  }

  if (typeof window.io !== 'function') {
    setState('disconnected');
    showMessage('Could not load the Socket.IO client from /socket.io/socket.io.min.js. Is the server running? Reload the page to try again.');
    return;
  }

  var everConnected = false;
  var reconnects = 0;
  var received = 0;
  var freshConnection = false; // the next integer is the first of a connection
  var recovered = 0;  // reconnects that resumed the session
  var replayed = 0;   // integers those reconnects brought back
  var connectSeen = false; // false from a disconnect until the next connect event
  var pendingReplay = 0;   // integers that came before that connect event: a replay

  // Same origin as the page. The server accepts only the websocket transport,
  // so never start with HTTP long-polling. The Manager retries forever with
  // exponential backoff (0.5 s doubling up to 5 s, +/- 50 % jitter).
  var socket = window.io({
    transports: ['websocket'],
    reconnection: true,
    reconnectionAttempts: Infinity,
    reconnectionDelay: 500,
    reconnectionDelayMax: 5000,
    randomizationFactor: 0.5,
    timeout: 5000,
  });

  // Reconnect by ourselves when the server ended the session on purpose
  // ("io server disconnect"), which the Manager does not retry.
  var manualAttempt = 0;
  var manualTimer = null;
  function reconnectLater() {
    if (manualTimer) return;
    var base = Math.min(5000, 500 * Math.pow(2, manualAttempt++));
    var delay = Math.round(base * (0.5 + Math.random()));
    setState('reconnecting', 'in ' + (delay / 1000).toFixed(1) + ' s');
    manualTimer = setTimeout(function () {
      manualTimer = null;
      if (!socket.connected) socket.connect();
    }, delay);
  }

  socket.on('connect', function () {
    var detail = '';
    if (everConnected) {
      reconnects += 1;
      el.reconnects.textContent = String(reconnects);
      // With connection state recovery on (the server's --recovery-window-ms)
      // a reconnect resumes the session: what was missed came just before
      // this event. Otherwise the values jump (a restart, an expired window).
      if (socket.recovered) {
        recovered += 1;
        replayed += pendingReplay;
        el.recovered.textContent = String(recovered);
        el.replayed.textContent = String(replayed);
        detail = 'recovered, ' + pendingReplay + ' replayed';
      } else {
        detail = 'new session';
      }
    }
    everConnected = true;
    freshConnection = !socket.recovered;
    connectSeen = true;
    pendingReplay = 0;
    manualAttempt = 0;
    el.sid.textContent = socket.id;
    setState('connected', detail);
    showMessage('');
  });

  socket.on('disconnect', function (reason) {
    connectSeen = false;
    el.sid.textContent = '–';
    if (reason === 'io client disconnect') {
      setState('disconnected');
    } else if (reason === 'io server disconnect') {
      setState('disconnected', 'closed by the server');
      reconnectLater();
    } else {
      setState('reconnecting', reason);
    }
  });

  socket.on('connect_error', function (err) {
    var ctx = err && err.context;
    if (ctx && ctx.status === 400 && typeof ctx.responseText === 'string') {
      try {
        var body = JSON.parse(ctx.responseText);
        if (body && body.hint) showMessage(body.hint);
      } catch (e) { /* not the JSON refusal */ }
    }
    if (socket.active) {
      setState(everConnected ? 'reconnecting' : 'connecting', err.message);
    } else {
      setState('disconnected', err.message);
      reconnectLater();
    }
  });

  socket.io.on('reconnect_attempt', function (attempt) {
    setState('reconnecting', 'attempt ' + attempt);
  });

  // With recovery on, each integer carries its offset as a second argument
  // (socket.io-client keeps it to resume the session); the page ignores it.
  socket.on('integer', function (value) {
    var replay = everConnected && !connectSeen;
    if (replay) pendingReplay += 1;
    received += 1;
    el.received.textContent = String(received);
    el.latest.textContent = String(value);
    el.latest.dataset.value = String(value);

    var item = document.createElement('li');
    item.textContent = String(value);
    if (replay) {
      item.className = 'history__replayed';
      item.title = 'missed while away, replayed on reconnect ' + (reconnects + 1);
    } else if (freshConnection && reconnects > 0) {
      // Values jump across a reconnect into a new session (the server may have restarted): mark it.
      item.className = 'history__reconnected';
      item.title = 'first integer after reconnect ' + reconnects;
    }
    freshConnection = false;
    el.history.insertBefore(item, el.history.firstChild);
    while (el.history.children.length > HISTORY_LENGTH) {
      el.history.removeChild(el.history.lastChild);
    }
  });

  // For tests and curious people in the devtools console.
  window.beastio = { socket: socket };
})();
