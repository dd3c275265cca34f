import type { Settings } from '@kineo/config';
import type { FastifyRequest } from 'fastify';

/** One cookie's value from the request, or undefined. */
export function cookieOf(request: FastifyRequest, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

/** Whether browsers reach the gateway over HTTPS, so its cookies get `Secure`. */
export function servedOverHttps(settings: Pick<Settings, 'GATEWAY_PUBLIC_URL'>, request: FastifyRequest): boolean {
  return (settings.GATEWAY_PUBLIC_URL ?? `${request.protocol}:`).startsWith('https:');
}
