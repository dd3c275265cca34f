import type { Metadata } from 'next';
import { FleetConsole } from './_components/fleet-console';

export const metadata: Metadata = { title: 'Tenants' };

/** Kineo ops' landing page: the fleet and provisioning (a platform session sees no learner rows). */
export default function PlatformPage() {
  return <FleetConsole />;
}
