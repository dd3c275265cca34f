import { loadSettings, type Settings } from '@kineo/config';

const TIMEOUT_MS = 2000;

export type GatewayHealth =
  | { state: 'up'; url: string; status: string }
  | { state: 'down'; url: string; status?: string; reason: string };

// Read at the first request, not when Next loads the module while building.
let settings: Settings | undefined;

export function gatewayUrl(): string {
  settings ??= loadSettings();
  return settings.KINEO_GATEWAY_URL;
}

/** The gateway as browsers reach it (Microsoft sign-in is a browser redirect through it). */
export function gatewayPublicUrl(): string {
  settings ??= loadSettings();
  return (settings.GATEWAY_PUBLIC_URL ?? settings.KINEO_GATEWAY_URL).replace(/\/+$/, '');
}

// Never throws: the landing page must render whether or not the gateway is running.
export async function getGatewayHealth(): Promise<GatewayHealth> {
  const url = gatewayUrl();
  try {
    const res = await fetch(`${url}/health`, {
      cache: 'no-store',
      signal: AbortSignal.timeout(TIMEOUT_MS),
      headers: { accept: 'application/json' },
    });
    const status = await readStatus(res);
    if (res.ok) return { state: 'up', url, status: status ?? String(res.status) };
    return { state: 'down', url, status, reason: `HTTP ${res.status}` };
  } catch (err) {
    return { state: 'down', url, reason: describe(err) };
  }
}

async function readStatus(res: Response): Promise<string | undefined> {
  try {
    const body: unknown = await res.json();
    if (body && typeof body === 'object' && 'status' in body && typeof body.status === 'string') {
      return body.status;
    }
  } catch {
    // A non-JSON body still tells us up or down through the HTTP status.
  }
  return undefined;
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError') return `no answer within ${TIMEOUT_MS / 1000}s`;
    const code = (err.cause as { code?: unknown } | undefined)?.code;
    if (typeof code === 'string') return code;
    return err.message;
  }
  return 'unreachable';
}
