import { loadSettings } from '@kineo/config';
import type { TestStack } from '@kineo/testkit';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createGateway, type GatewayOptions } from '../../src/app';

/** A gateway on the suite's stack, configured through the same settings a deployment uses. */
export function startGateway(
  stack: TestStack,
  env: Record<string, string> = {},
  options: GatewayOptions = {},
): Promise<NestFastifyApplication> {
  return createGateway(loadSettings({ ...stack.env, ...env }), options);
}

export interface GraphqlReply<T = Record<string, unknown>> {
  status: number;
  headers: Record<string, unknown>;
  body: { data?: T | null; errors?: Array<{ message: string; path?: string[]; extensions?: Record<string, unknown> }> };
}

export async function graphql<T = Record<string, unknown>>(
  app: NestFastifyApplication,
  query: string,
  headers: Record<string, string> = {},
  variables?: Record<string, unknown>,
): Promise<GraphqlReply<T>> {
  const response = await app.inject({
    method: 'POST',
    url: '/graphql',
    headers: { 'content-type': 'application/json', ...headers },
    payload: JSON.stringify({ query, ...(variables ? { variables } : {}) }),
  });
  return { status: response.statusCode, headers: response.headers, body: response.json() };
}

export type LogLine = Record<string, unknown> & { msg?: string; reqId?: string; level?: string };

/** A pino destination that keeps the gateway's JSON log lines in memory, synchronously. */
export class LogCapture {
  readonly lines: LogLine[] = [];

  write(chunk: string): void {
    for (const line of chunk.split('\n')) {
      if (line.trim()) this.lines.push(JSON.parse(line) as LogLine);
    }
  }
}
