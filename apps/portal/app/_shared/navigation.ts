import type { Role } from '@/generated/server/graphql';

export interface NavItem {
  href: string;
  label: string;
}

/** What each role can open; the gateway enforces the same scopes, this only avoids dead links. */
export function navigationFor(role: Role): NavItem[] {
  switch (role) {
    case 'manager':
      return [
        { href: '/dashboards/my-team', label: 'My team' },
        { href: '/dashboards/course-completion', label: 'Course completion' },
      ];
    case 'org_admin':
    case 'viewer':
      return [{ href: '/dashboards/course-completion', label: 'Course completion' }];
    case 'kineo_ops':
      return [{ href: '/platform', label: 'Platform' }];
  }
}

export const ROLE_LABELS: Record<Role, string> = {
  kineo_ops: 'Kineo ops',
  org_admin: 'Organisation admin',
  manager: 'Manager',
  viewer: 'Viewer',
};
