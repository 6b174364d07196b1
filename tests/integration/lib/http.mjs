// Tiny raw HTTP helper (node:http) for plain and Upgrade requests.
import http from 'node:http';
import crypto from 'node:crypto';

// request({port, method, path, headers, body, upgrade, timeoutMs})
// Resolves {status, headers, body}. With upgrade: true, WebSocket handshake
// headers are added; a 101 answer resolves {status: 101, headers, body: ''}
// and the upgraded socket is destroyed.
export function request({ port, method = 'GET', path = '/', headers = {}, body, upgrade = false, timeoutMs = 3000 }) {
  const h = { ...headers };
  if (upgrade) {
    h.Connection ??= 'Upgrade';
    h.Upgrade ??= 'websocket';
    h['Sec-WebSocket-Key'] ??= crypto.randomBytes(16).toString('base64');
    h['Sec-WebSocket-Version'] ??= '13';
  }
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers: h, agent: false });
    const timer = setTimeout(() => {
      req.destroy(new Error(`HTTP ${method} ${path} got no complete answer within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('upgrade', (res, socket) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ status: res.statusCode, headers: res.headers, body: '' });
    });
    req.on('response', (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { data += d; });
      res.on('end', () => { clearTimeout(timer); resolve({ status: res.statusCode, headers: res.headers, body: data }); });
      res.on('error', (e) => { clearTimeout(timer); reject(e); });
    });
    req.on('error', (e) => { clearTimeout(timer); reject(e); });
    if (body !== undefined) req.end(body); else req.end();
  });
}
