import type { Role } from '@/generated/server/graphql';

export interface NavItem {
  href: string;
  label: string;
  /** A page the portal relays rather than renders (the gateway's queues screen): a full page load, not the app's router. */
  document?: boolean;
}

/** The gateway's queues screen (bull-board), relayed by the portal at the same path (app/ops/queues). */
export const QUEUES_PATH = '/ops/queues';

/**
 * The dashboards the gateway lists for the caller's role (`meta.dashboards`), a manager's own team
 * first, then Explore; Kineo ops have no dashboards, only the platform's tenants and the job queues.
 */
export function navigationFor(role: Role, dashboards: { id: string; title: string }[]): NavItem[] {
  if (role === 'kineo_ops') return [{ href: '/platform', label: 'Tenants' }, { href: QUEUES_PATH, label: 'Queues', document: true }];
  const ordered = role === 'manager' ? [...dashboards.filter((d) => d.id === 'my-team'), ...dashboards.filter((d) => d.id !== 'my-team')] : dashboards;
  const items = ordered.map((d) => ({ href: `/dashboards/${d.id}`, label: d.title }));
  // The organisation's account: loading data and managing people.
  if (role === 'org_admin') items.push({ href: '/onboarding', label: 'Onboarding' }, { href: '/users', label: 'Users' });
  return [...items, { href: '/explore', label: 'Explore' }];
}

/**
 * Whether the navigation takes a line of its own under the brand and the account (on a screen wider
 * than a phone's). Beside them at 1280 px there is room for about 40 characters of link names: Kineo
 * ops' two links fit; a manager's seven and an org admin's nine do not, and wrapped beside them they
 * pushed the account to a third line.
 */
export function navigationOnItsOwnLine(items: NavItem[]): boolean {
  return items.reduce((chars, item) => chars + item.label.length, 0) > 40;
}

export const ROLE_LABELS: Record<Role, string> = {
  kineo_ops: 'Kineo ops',
  org_admin: 'Organisation admin',
  manager: 'Manager',
  viewer: 'Viewer',
};
