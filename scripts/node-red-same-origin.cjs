// Loaded into the demo's Node-RED processes (node --require, before red.js): a request a web page of another site
// makes a browser send is refused with 403 and a JSON reason, before Node-RED sees it.
//
// Why: Node-RED's editor app answers every request at its root with `Access-Control-Allow-Origin: *` and grants
// every CORS preflight (@node-red/editor-api, hard-wired, whatever httpNodeCors says). With the editor and the
// flows' HTTP endpoints both at `/`, any web page open in the operator's browser could POST JSON to the API
// (`/api/alarm/disable`), read `/api/stats`, or open the dashboard's socket and press its buttons. A browser says
// which page a request comes from in its Origin header (on every cross-site request that is not a plain GET, on
// CORS requests and on WebSocket handshakes); one from another origin than the address it is sent to is refused.
// Requests without an Origin (curl, the edge's requests, same-origin page loads) pass.
'use strict';
const http = require('node:http');

/** The Origin of a request when it is another site's than the address it was sent to, else undefined. */
function foreignOrigin(req) {
  const origin = req.headers.origin;
  if (origin === undefined) return undefined;
  try {
    if (new URL(origin).host === String(req.headers.host).toLowerCase()) return undefined;
  } catch {
    // "null" (a sandboxed page, a file) or not a URL at all: not this site.
  }
  return origin;
}

const reason = (origin) =>
  JSON.stringify({ error: `a request from another site (Origin ${origin}) is refused` });

// Each request and WebSocket handshake as the server announces it: before Express, and before anyone who takes
// requests over from it (the dashboard's socket.io puts itself in front of the other 'request' listeners).
const createServer = http.createServer;
http.createServer = function (...args) {
  const server = createServer.apply(this, args);
  const emit = server.emit;
  server.emit = function (event, req, out, ...rest) {
    const origin = event === 'request' || event === 'upgrade' ? foreignOrigin(req) : undefined;
    if (origin === undefined) return emit.call(this, event, req, out, ...rest);
    const body = reason(origin);
    if (event === 'request') {
      out.writeHead(403, {
        'Content-Type': 'application/json; charset=utf-8',
        'Content-Length': Buffer.byteLength(body),
      });
      out.end(body);
    } else {
      out.end(
        'HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\n' +
          `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    }
    return true;
  };
  return server;
};
