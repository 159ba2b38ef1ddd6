// Loaded into the demo's Node-RED processes (node --require, before red.js): requests refused before Node-RED
// (or the dashboard) sees them, where the HTTP server announces each one.
//
// Bodies: one larger than PLANTWIRE_MAX_BODY_BYTES is refused with 413 and a JSON reason, and no more of it is read.
//
// Why here and not in settings.js: an `http in` node with "Do not parse the body" (the cloud's /ingest and
// /ingest/events, so that telemetry-validate answers broken JSON in JSON) makes Node-RED 4.1 read the whole body,
// with no limit, in a middleware it puts first in Express's stack (rawBodyCapture in 21-httpin.js): before
// httpNodeMiddleware and httpNodeAuth, and no setting bounds it. So the limit is kept where each request starts:
// where the HTTP server announces each request, which every request (editor, API, dashboard) passes first.
//
// Requests from other sites: one a web page of another site makes a browser send is refused with 403 and a JSON
// reason.
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

const limit = Number(process.env.PLANTWIRE_MAX_BODY_BYTES);
if (!Number.isSafeInteger(limit) || limit <= 0) {
  throw new Error(
    `PLANTWIRE_MAX_BODY_BYTES=${process.env.PLANTWIRE_MAX_BODY_BYTES}: a number of bytes, please`,
  );
}
/** How long the sender has to read the 413 before the connection is closed on the rest of its body. */
const LINGER_MS = 1000;

function refuseLarge(req, res) {
  if (!res.headersSent) {
    // The shape of telemetry-validate's own 413.
    const body = JSON.stringify({
      accepted: 0,
      rejected: [],
      error: `the body is more than ${limit} bytes; at most ${limit} are accepted`,
    });
    res.writeHead(413, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
    });
    res.end(body);
  }
  // Closing at once could reset the connection before the sender has read the answer.
  setTimeout(() => {
    if (!req.complete) req.socket.destroy();
  }, LINGER_MS).unref();
}

/** Whether a request may go on to Node-RED; refused (413) when its body is larger than the limit. */
function admit(req, res) {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    refuseLarge(req, res);
    return false;
  }
  if (req.headers['transfer-encoding'] !== undefined) {
    // A chunked body says its size only as it comes: counted where Node's HTTP parser hands each piece to the
    // request stream, before whoever reads it (so reading it stays theirs). Past the limit nothing more is
    // taken in, and the socket is no longer read.
    let seen = 0;
    const push = req.push;
    req.push = function (chunk, encoding) {
      if (chunk !== null && chunk !== undefined) {
        seen += chunk.length;
        if (seen > limit) {
          req.push = () => false;
          refuseLarge(req, res);
          return false;
        }
      }
      return push.call(this, chunk, encoding);
    };
  }
  return true;
}

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

/** Answers a request or WebSocket handshake from another site with 403; true when it did. */
function refuseForeign(event, req, out) {
  const origin = foreignOrigin(req);
  if (origin === undefined) return false;
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
}

// Each request and WebSocket handshake as the server announces it: before Express, and before anyone who takes
// requests over from it (the dashboard's socket.io puts itself in front of the other 'request' listeners).
const createServer = http.createServer;
http.createServer = function (...args) {
  const server = createServer.apply(this, args);
  const emit = server.emit;
  server.emit = function (event, req, out, ...rest) {
    if (event === 'request' || event === 'upgrade') {
      if (refuseForeign(event, req, out)) return true;
      if (event === 'request' && !admit(req, out)) return true;
    }
    return emit.call(this, event, req, out, ...rest);
  };
  return server;
};
