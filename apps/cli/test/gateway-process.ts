import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { UserService } from '@kineo/auth';
import { createPrismaClient } from '@kineo/db';
import { freePort, waitForPort } from '@kineo/devstack';

const gatewayMain = path.join(__dirname, '..', '..', 'gateway', 'dist', 'main.js');

export interface GatewayProcess {
  process: ChildProcess;
  /** Its GraphQL endpoint. */
  url: string;
  /** POSTs a GraphQL query with the session token; the HTTP status and the parsed answer. */
  ask<T = unknown>(query: string): Promise<{ status: number; data?: T; errors?: { message: string; extensions?: { code?: string } }[] }>;
}

/**
 * The real gateway (its built `dist/main.js`) against a test's stack, signed in as a new org admin
 * of `tenantSlug`. Its output is dropped: it would repeat every refused connection while a server is down.
 */
export async function startGatewayProcess(env: Record<string, string>, tenantSlug: string): Promise<GatewayProcess> {
  const email = `admin@${tenantSlug}.example`;
  const password = 'faults-password-not-secret';
  const prisma = createPrismaClient(env.DATABASE_URL, { poolSize: 1 });
  try {
    await new UserService(prisma).create({ email, password, grant: { tenantSlug, role: 'org_admin' }, actor: 'faults' });
  } finally {
    await prisma.$disconnect();
  }
  const port = await freePort();
  const child = spawn(process.execPath, [gatewayMain], {
    env: { ...process.env, ...env, GATEWAY_HOST: '127.0.0.1', GATEWAY_PORT: String(port) },
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  await waitForPort(port, '127.0.0.1', 120_000);
  const url = `http://127.0.0.1:${port}/graphql`;
  const post = async (query: string, token?: string) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query }),
    });
    return { status: response.status, ...((await response.json()) as object) };
  };
  const login = (await post(`mutation { login(email: "${email}", password: "${password}") { token } }`)) as unknown as { data: { login: { token: string } } };
  const token = login.data.login.token;
  return { process: child, url, ask: (query) => post(query, token) as never };
}
