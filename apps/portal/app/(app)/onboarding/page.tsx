import type { Metadata } from 'next';
import { AdminOnly } from '../_admin/admin-only';
import { OnboardingView } from './_components/onboarding-view';

export const metadata: Metadata = { title: 'Onboarding' };

export default function OnboardingPage() {
  return (
    <AdminOnly>
      <h1>Onboarding</h1>
      <p className="lede">Load your LMS export, check what was loaded, and bring your managers in.</p>
      <OnboardingView />
    </AdminOnly>
  );
}
