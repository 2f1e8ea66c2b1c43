// The baseline: a bare node:http server doing the same JSON round trip as the model server
// (read the body, JSON.parse it, answer a Cog-shaped prediction) and nothing else. Whatever
// the model server costs beyond this is its own overhead.
import { createServer } from 'node:http';

let counter = 0;

const server = createServer((request, response) => {
  if (request.method === 'GET' && request.url === '/health-check') return send(response, 200, { status: 'READY', setup: {} });
  if (request.method === 'POST' && request.url === '/shutdown') {
    send(response, 200, {});
    server.close();
    server.closeIdleConnections();
    return;
  }
  if (request.method !== 'POST' || request.url !== '/predictions') return send(response, 404, { detail: 'Not Found' });
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    const started = performance.now();
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return send(response, 400, { detail: 'Request body is not valid JSON' });
    }
    const now = new Date().toISOString();
    // The same fields, in the same order, as the model server's answer, so both serialize alike.
    send(response, 200, {
      input: body.input,
      output: body.input?.text ?? null,
      id: `pred_${(++counter).toString(16)}`,
      version: null,
      created_at: now,
      started_at: now,
      completed_at: now,
      logs: '',
      error: null,
      status: 'succeeded',
      metrics: { predict_time: (performance.now() - started) / 1000 },
    });
  });
});

function send(response, status, body) {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

// Stop on SIGTERM like the model server does, rather than dying mid-response.
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  // The model server's announcement shape, so the bench reads both the same way.
  process.stdout.write(`${JSON.stringify({ replicant: 'listening', host: '127.0.0.1', port, url: `http://127.0.0.1:${port}` })}\n`);
});
