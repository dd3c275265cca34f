// Runs the built portal (`next build` first; turbo does it before `test`) against a fake gateway.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';

const portalDir = fileURLToPath(new URL('..', import.meta.url));
const nextBin = createRequire(import.meta.url).resolve('next/dist/bin/next');
const READY_LIMIT_MS = 30_000;

let gateway;
let gatewayPort;
let portal;
let portalUrl;
let portalLog = '';
/** What the fake gateway was sent, to check what the portal's server passes on. */
const gatewayRequests = [];

before(async () => {
  assert.ok(
    existsSync(new URL('../.next/BUILD_ID', import.meta.url)),
    'no production build in apps/portal/.next: run `next build` first',
  );

  gateway = createServer((req, res) => {
    if (req.url === '/graphql' || req.url === '/exports') {
      gatewayRequests.push({ url: req.url, headers: req.headers });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: null, errors: [{ message: 'The email or password is incorrect.', extensions: { code: 'UNAUTHENTICATED' } }] }));
    } else if (req.url === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'ok' }));
    } else {
      res.writeHead(404).end();
    }
  });
  gateway.listen(0, '127.0.0.1');
  await once(gateway, 'listening');
  gatewayPort = gateway.address().port;

  const port = await freePort();
  portalUrl = `http://127.0.0.1:${port}`;
  portal = spawn(process.execPath, [nextBin, 'start', '-p', String(port), '-H', '127.0.0.1'], {
    cwd: portalDir,
    env: {
      ...process.env,
      NEXT_TELEMETRY_DISABLED: '1',
      NODE_ENV: 'production',
      KINEO_GATEWAY_URL: `http://127.0.0.1:${gatewayPort}`,
    },
    // Own process group, so `after` can stop anything next start spawns as well.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  portal.stdout.on('data', (d) => (portalLog += d));
  portal.stderr.on('data', (d) => (portalLog += d));
  await waitUntilServing();
});

after(async () => {
  if (portal && portal.exitCode === null && portal.signalCode === null) {
    const exited = once(portal, 'exit');
    try {
      process.kill(-portal.pid, 'SIGTERM');
    } catch {
      portal.kill('SIGTERM');
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-portal.pid, 'SIGKILL');
      } catch {}
    }, 5_000);
    await exited;
    clearTimeout(timer);
  }
  if (gateway?.listening) await stopGateway();
});

test('the landing page names the product and shows the gateway is up', async () => {
  const html = await page('/');
  assert.match(html, /Kineo Analytics/);
  assert.match(html, /Gateway: up/);
  assert.match(html, /status: ok/);
});

test('the portal answers its own health check', async () => {
  const res = await fetch(`${portalUrl}/api/health`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  assert.deepEqual(await res.json(), { status: 'ok', service: 'portal' });
  assert.equal(res.headers.get('x-powered-by'), null);
});

test("every route handler passes the browser's address and user agent on to the gateway", async () => {
  const persisted = JSON.parse(readFileSync(new URL('../generated/browser/persisted-documents.json', import.meta.url), 'utf8'));
  const origin = { origin: portalUrl, 'content-type': 'application/json', 'user-agent': 'security-test-browser' };
  const calls = [
    ['/api/session', { headers: origin, body: JSON.stringify({ email: 'a@acme.test', password: 'not the password' }) }],
    ['/api/graphql', { headers: { ...origin, cookie: 'kineo_session=abc' }, body: JSON.stringify({ documentId: Object.keys(persisted)[0], variables: {} }) }],
    ['/api/exports', { headers: { ...origin, cookie: 'kineo_session=abc' }, body: '{}' }],
  ];
  for (const [path, init] of calls) {
    gatewayRequests.length = 0;
    await fetch(`${portalUrl}${path}`, { method: 'POST', ...init });
    assert.equal(gatewayRequests.length, 1, `${path} did not reach the gateway\n${portalLog}`);
    // No proxy in front: Next fills X-Forwarded-For with the browser's socket address.
    assert.equal(gatewayRequests[0].headers['x-forwarded-for'], '127.0.0.1', path);
    assert.equal(gatewayRequests[0].headers['user-agent'], 'security-test-browser', path);
  }
});

test('the landing page still renders, showing down and a hint, when the gateway is unreachable', async () => {
  await stopGateway();
  const html = await page('/');
  assert.match(html, /Kineo Analytics/);
  assert.match(html, /Gateway: down/);
  assert.doesNotMatch(html, /Gateway: up/);
  assert.match(html, /KINEO_GATEWAY_URL/);
});

test('a signed-in page says the service is not answering, offers to try again now, and says it tries again every 5 seconds', async () => {
  if (gateway.listening) await stopGateway();
  const html = await page('/dashboards/course-completion', { cookie: 'kineo_session=abc' });
  assert.match(html, /Kineo Analytics is unavailable/);
  assert.match(html, /The analytics service is not answering/);
  assert.match(html, /Try again now/);
  assert.match(html, /This page tries again every 5 seconds/);
});

async function page(path, headers = {}) {
  const res = await fetch(`${portalUrl}${path}`, { headers });
  const body = await res.text();
  assert.equal(res.status, 200, `GET ${path} answered ${res.status}\n${portalLog}`);
  // React splits adjacent text nodes with comment markers; the user sees them as one line.
  return body.replaceAll('<!-- -->', '');
}

async function stopGateway() {
  const closed = once(gateway, 'close');
  gateway.close();
  gateway.closeAllConnections();
  await closed;
}

async function freePort() {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address();
  probe.close();
  await once(probe, 'close');
  return port;
}

async function waitUntilServing() {
  const exited = once(portal, 'exit').then(([code, signal]) => {
    throw new Error(`next start exited (${signal ?? code}) before serving:\n${portalLog}`);
  });
  exited.catch(() => {});
  const deadline = Date.now() + READY_LIMIT_MS;
  while (Date.now() < deadline) {
    const ok = await Promise.race([
      fetch(`${portalUrl}/api/health`).then((r) => r.ok, () => false),
      exited,
    ]);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`next start did not serve within ${READY_LIMIT_MS / 1000}s:\n${portalLog}`);
}
