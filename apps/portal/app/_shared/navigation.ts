import type { Role } from '@/generated/server/graphql';

export interface NavItem {
  href: string;
  label: string;
}

/**
 * The dashboards the gateway lists for the caller's role (`meta.dashboards`), a manager's own team
 * first; Kineo ops have no dashboards, only the platform page.
 */
export function navigationFor(role: Role, dashboards: { id: string; title: string }[]): NavItem[] {
  if (role === 'kineo_ops') return [{ href: '/platform', label: 'Platform' }];
  const ordered = role === 'manager' ? [...dashboards.filter((d) => d.id === 'my-team'), ...dashboards.filter((d) => d.id !== 'my-team')] : dashboards;
  return ordered.map((d) => ({ href: `/dashboards/${d.id}`, label: d.title }));
}

export const ROLE_LABELS: Record<Role, string> = {
  kineo_ops: 'Kineo ops',
  org_admin: 'Organisation admin',
  manager: 'Manager',
  viewer: 'Viewer',
};
