// Raw WebSocket client (over `ws`) with an async frame queue, plus Engine.IO /
// Socket.IO helpers for byte-exact tests.
import { WebSocket } from './deps.mjs';

export class UpgradeRefused extends Error {
  constructor(status, headers, body) {
    super(`upgrade refused: HTTP ${status} ${body}`);
    this.status = status;
    this.headers = headers;
    this.body = body;
  }
}

export class RawClient {
  // Open a WebSocket to url. Rejects with UpgradeRefused on a non-101 answer.
  // opts.autoPong: answer Engine.IO pings ("2") with "3" and keep them out of the queue.
  static open(url, { autoPong = false, timeoutMs = 5000, wsOptions = {} } = {}) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false, ...wsOptions });
      const client = new RawClient(ws, { autoPong });
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error(`WebSocket open to ${url} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      ws.once('open', () => { clearTimeout(timer); resolve(client); });
      ws.once('unexpected-response', (req, res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => { body += d; });
        res.on('end', () => {
          clearTimeout(timer);
          reject(new UpgradeRefused(res.statusCode, res.headers, body));
          req.destroy();
        });
      });
      ws.once('error', (err) => { clearTimeout(timer); reject(err); });
    });
  }

  constructor(ws, { autoPong }) {
    this.ws = ws;
    this.autoPong = autoPong;
    this.pings = 0;
    this.frames = [];       // queued {type, data}
    this.waiters = [];      // pending next() resolvers
    this.closeInfo = undefined;
    this.closeWaiters = [];
    this.errors = [];
    ws.on('message', (data, isBinary) => {
      const frame = isBinary
        ? { type: 'binary', data: Buffer.from(data) }
        : { type: 'text', data: data.toString('utf8') };
      if (this.autoPong && frame.type === 'text' && frame.data === '2') {
        this.pings++;
        if (ws.readyState === WebSocket.OPEN) ws.send('3');
        return;
      }
      const w = this.waiters.shift();
      if (w) w.resolve(frame); else this.frames.push(frame);
    });
    ws.on('error', (err) => { this.errors.push(err); });
    ws.on('close', (code, reason) => {
      this.closeInfo = { code, reason: reason.toString('utf8') };
      for (const w of this.waiters.splice(0)) w.reject(this._closedError());
      for (const w of this.closeWaiters.splice(0)) w(this.closeInfo);
    });
  }

  _closedError() {
    const e = new Error(`connection closed (code ${this.closeInfo.code}, reason ${JSON.stringify(this.closeInfo.reason)}) while waiting for a frame`);
    e.closeInfo = this.closeInfo;
    return e;
  }

  get isClosed() { return this.closeInfo !== undefined; }

  // Next data frame {type: 'text'|'binary', data}. Rejects on timeout or close.
  next(timeoutMs = 2000) {
    if (this.frames.length) return Promise.resolve(this.frames.shift());
    if (this.closeInfo) return Promise.reject(this._closedError());
    return new Promise((resolve, reject) => {
      const w = {
        resolve: (f) => { clearTimeout(timer); resolve(f); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      };
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`no frame within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  async nextText(timeoutMs = 2000) {
    const f = await this.next(timeoutMs);
    if (f.type !== 'text') throw new Error(`expected a text frame, got binary ${f.data.toString('hex')}`);
    return f.data;
  }

  async nextBinary(timeoutMs = 2000) {
    const f = await this.next(timeoutMs);
    if (f.type !== 'binary') throw new Error(`expected a binary frame, got text ${JSON.stringify(f.data)}`);
    return f.data;
  }

  // Wait for the close (frames still queued or arriving are discarded, but
  // kept in this.frames for inspection). Resolves {code, reason}.
  nextClose(timeoutMs = 3000) {
    if (this.closeInfo) return Promise.resolve(this.closeInfo);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.closeWaiters.indexOf(done);
        if (i >= 0) this.closeWaiters.splice(i, 1);
        reject(new Error(`connection not closed within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (info) => { clearTimeout(timer); resolve(info); };
      this.closeWaiters.push(done);
    });
  }

  // Resolve true if no data frame arrives within ms (and the connection stays open).
  async expectSilence(ms) {
    try {
      const f = await this.next(ms);
      throw new Error(`unexpected frame: ${f.type} ${f.type === 'text' ? JSON.stringify(f.data) : f.data.toString('hex')}`);
    } catch (e) {
      if (e.closeInfo) throw e;
      if (/^no frame within/.test(e.message)) return true;
      throw e;
    }
  }

  send(data) {
    return new Promise((resolve, reject) => {
      this.ws.send(data, { binary: Buffer.isBuffer(data) }, (err) => (err ? reject(err) : resolve()));
    });
  }

  close(code, reason) { try { this.ws.close(code, reason); } catch { /* closed */ } }

  terminate() { try { this.ws.terminate(); } catch { /* closed */ } }

  // Close (if needed) and wait a bounded time for the close event.
  async dispose() {
    if (this.closeInfo) return;
    this.close();
    try { await this.nextClose(2000); } catch { this.terminate(); }
  }

  // Socket.IO CONNECT on nsp ('/' or '/custom'); resolves the first reply frame text.
  sendConnect(nsp = '/', auth) {
    const prefix = nsp === '/' ? '40' : `40${nsp},`;
    return this.send(prefix + (auth === undefined ? '' : JSON.stringify(auth)));
  }

  // CONNECT and expect success: returns the Socket.IO sid.
  async connect(nsp = '/', auth, timeoutMs = 2000) {
    await this.sendConnect(nsp, auth);
    const reply = await this.nextText(timeoutMs);
    const prefix = nsp === '/' ? '40' : `40${nsp},`;
    if (!reply.startsWith(prefix + '{')) throw new Error(`unexpected CONNECT reply for ${nsp}: ${JSON.stringify(reply)}`);
    const body = JSON.parse(reply.slice(prefix.length));
    return body.sid;
  }
}

export const EIO_QUERY = 'EIO=4&transport=websocket';

// Open an Engine.IO session on path?query, read and parse the open packet.
// Returns {client, open, openFrame}.
export async function openEio(port, { path = '/socket.io/', query = EIO_QUERY, autoPong = true, timeoutMs = 3000 } = {}) {
  const client = await RawClient.open(`ws://127.0.0.1:${port}${path}?${query}`, { autoPong, timeoutMs });
  let openFrame;
  try {
    openFrame = await client.nextText(timeoutMs);
  } catch (e) {
    client.terminate();
    throw e;
  }
  if (!openFrame.startsWith('0')) {
    client.terminate();
    throw new Error(`first frame is not an Engine.IO open packet: ${JSON.stringify(openFrame)}`);
  }
  const open = JSON.parse(openFrame.slice(1));
  return { client, open, openFrame };
}

// Engine.IO session + Socket.IO CONNECT on nsp. For the echo app, also reads the
// "auth" event that follows the CONNECT reply when readAuth is true.
export async function openSio(port, { nsp = '/', auth, readAuth = false, ...rest } = {}) {
  const { client, open } = await openEio(port, rest);
  const sid = await client.connect(nsp, auth);
  let authFrame;
  if (readAuth) authFrame = await client.nextText();
  return { client, open, sid, authFrame };
}
