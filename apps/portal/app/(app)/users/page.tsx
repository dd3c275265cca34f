import type { Metadata } from 'next';
import { AdminOnly } from '../_admin/admin-only';
import { UsersView } from './_components/users-view';

export const metadata: Metadata = { title: 'Users' };

export default function UsersPage() {
  return (
    <AdminOnly>
      <h1>Users</h1>
      <p className="lede">Who can sign in to your organisation&rsquo;s dashboards, and what each of them sees.</p>
      <UsersView />
    </AdminOnly>
  );
}
