import Link from 'next/link';
import { redirect } from 'next/navigation';
import { connection } from 'next/server';
import { getGatewayHealth, type GatewayHealth } from './_server/gateway-health';
import { landingPath, readSession } from './_server/session';

const audiences = [
  { who: 'Kineo ops', what: 'provision, watch and suspend customer tenants in one place.' },
  { who: 'Org admins', what: 'upload LMS exports, read the validation report and invite managers.' },
  { who: 'Managers', what: 'open dashboards scoped to their own direct and indirect reports.' },
];

export default async function HomePage() {
  // Health is per request, never baked in at build time.
  await connection();
  const session = await readSession();
  if (session.state === 'signed-in') redirect(landingPath(session.me.role));
  const health = await getGatewayHealth();

  return (
    <main className="page">
      <h1>Kineo Analytics</h1>
      <p className="lede">Learning analytics for every Kineo customer, refreshed from their LMS.</p>
      <ul className="audiences">
        {audiences.map(({ who, what }) => (
          <li key={who}>
            <strong>{who}</strong> {what}
          </li>
        ))}
      </ul>
      <p>
        <Link className="button primary" href="/sign-in">
          Sign in
        </Link>
      </p>
      <GatewayStatus health={health} />
    </main>
  );
}

function GatewayStatus({ health }: { health: GatewayHealth }) {
  if (health.state === 'up') {
    return (
      <section className="status up" aria-live="polite">
        <p>
          Gateway: up <span className="detail">(status: {health.status})</span>
        </p>
      </section>
    );
  }
  return (
    <section className="status down" aria-live="polite">
      <p>
        Gateway: down{' '}
        <span className="detail">
          ({health.status ? `status: ${health.status}, ` : ''}
          {health.reason})
        </span>
      </p>
      <p className="hint">
        Start the gateway, or set <code>KINEO_GATEWAY_URL</code> (now <code>{health.url}</code>).
      </p>
    </section>
  );
}
