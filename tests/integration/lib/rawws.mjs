// A WebSocket client over a bare TCP socket, for what no well-behaved client
// sends: unmasked frames, reserved opcodes, absurd lengths, invalid UTF-8,
// thousands of fragments. Frames are built by hand (RFC 6455 section 5.2).
import net from 'node:net';
import crypto from 'node:crypto';

// One frame. payload: Buffer or string. opts: {fin, opcode, mask, rsv, length}
// (length overrides the header's length field to lie about the payload size;
// key, a 4-byte Buffer, fixes the mask, so that many frames are cheap to build).
export function frame(payload, { fin = true, opcode = 1, mask = true, rsv = 0, length, key: fixedKey } = {}) {
  const data = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const len = length ?? data.length;
  const head = [((fin ? 0x80 : 0) | (rsv << 4) | opcode) & 0xff];
  let ext = Buffer.alloc(0);
  if (len < 126) head.push((mask ? 0x80 : 0) | len);
  else if (len < 65536) {
    head.push((mask ? 0x80 : 0) | 126);
    ext = Buffer.alloc(2);
    ext.writeUInt16BE(len);
  } else {
    head.push((mask ? 0x80 : 0) | 127);
    ext = Buffer.alloc(8);
    ext.writeBigUInt64BE(BigInt(len));
  }
  if (!mask) return Buffer.concat([Buffer.from(head), ext, data]);
  const key = fixedKey ?? crypto.randomBytes(4);
  const masked = Buffer.alloc(data.length);
  for (let i = 0; i < data.length; i++) masked[i] = data[i] ^ key[i & 3];
  return Buffer.concat([Buffer.from(head), ext, key, masked]);
}

// The frames the server sends (unmasked), parsed as they arrive.
function parseFrames(state, chunk, onFrame) {
  state.buf = Buffer.concat([state.buf, chunk]);
  for (;;) {
    const b = state.buf;
    if (b.length < 2) return;
    let len = b[1] & 0x7f;
    let off = 2;
    if (len === 126) { if (b.length < 4) return; len = b.readUInt16BE(2); off = 4; } else if (len === 127) { if (b.length < 10) return; len = Number(b.readBigUInt64BE(2)); off = 10; }
    if (b.length < off + len) return;
    onFrame({ opcode: b[0] & 0x0f, fin: (b[0] & 0x80) !== 0, payload: b.subarray(off, off + len) });
    state.buf = b.subarray(off + len);
  }
}

// Opens a TCP connection and completes the WebSocket upgrade on path.
// Resolves {socket, frames, closeFrame, closed, send(buf), next(), ...}.
export function rawUpgrade(port, path, { headers = {}, timeoutMs = 5000 } = {}) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`upgrade on ${path} timed out`)); }, timeoutMs);
    let head = Buffer.alloc(0);
    const c = {
      socket, frames: [], closeFrame: undefined, ended: false,
      _waiters: [], _state: { buf: Buffer.alloc(0) },
      send(buf) { return new Promise((res) => socket.write(buf, () => res())); },
      // The close frame's code (or undefined), once the TCP connection ends.
      closed: null,
    };
    c.closed = new Promise((res) => socket.once('close', () => { c.ended = true; for (const w of c._waiters.splice(0)) w(); res(c.closeFrame?.code); }));
    socket.on('error', () => {});
    const onData = (chunk) => {
      parseFrames(c._state, chunk, (f) => {
        if (f.opcode === 8) c.closeFrame = { code: f.payload.length >= 2 ? f.payload.readUInt16BE(0) : undefined, reason: f.payload.subarray(2).toString() };
        else c.frames.push(f);
        for (const w of c._waiters.splice(0)) w();
      });
    };
    socket.once('connect', () => {
      const key = crypto.randomBytes(16).toString('base64');
      const lines = [`GET ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: Upgrade', 'Upgrade: websocket',
        `Sec-WebSocket-Key: ${key}`, 'Sec-WebSocket-Version: 13', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    });
    const onHead = (chunk) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onHead);
      clearTimeout(timer);
      const status = head.subarray(0, end).toString('latin1').split(' ')[1];
      if (status !== '101') {
        socket.destroy();
        reject(new Error(`upgrade refused: ${head.subarray(0, end).toString('latin1')}`));
        return;
      }
      socket.on('data', onData);
      if (head.length > end + 4) onData(head.subarray(end + 4));
      resolve(c);
    };
    socket.on('data', onHead);
    socket.once('error', (e) => { clearTimeout(timer); reject(e); });
  });
}

// Waits until pred(c) is true, re-checking on each frame and at the close.
export async function until(c, pred, timeoutMs = 5000, what = 'condition') {
  const t0 = Date.now();
  while (!pred(c)) {
    if (c.ended) throw new Error(`connection ended while waiting for ${what}`);
    const left = timeoutMs - (Date.now() - t0);
    if (left <= 0) throw new Error(`timed out waiting for ${what}`);
    await new Promise((res) => {
      const timer = setTimeout(res, left);
      c._waiters.push(() => { clearTimeout(timer); res(); });
    });
  }
}

// One message whose every byte is a fragment of its own (a frame of 7 bytes
// on the wire), built in milliseconds even for 200000 of them: one mask key
// for all, and one frame buffer per distinct byte, reused, so building it
// never stalls the test process's event loop (its clients answer pings).
export function fragmentedMessage(text) {
  const b = Buffer.from(text);
  const key = crypto.randomBytes(4);
  const middle = new Map();
  const parts = [frame(b.subarray(0, 1), { fin: false, key })];
  for (let i = 1; i < b.length - 1; i++) {
    let f = middle.get(b[i]);
    if (!f) middle.set(b[i], (f = frame(b.subarray(i, i + 1), { opcode: 0, fin: false, key })));
    parts.push(f);
  }
  parts.push(frame(b.subarray(b.length - 1), { opcode: 0, key }));
  return Buffer.concat(parts);
}
