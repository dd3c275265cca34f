'use client';

import { useTenantLocale } from '@/app/_client/locale-context';

/** The locale numbers and dates are shown in: the organisation's, as the gateway says. */
export function useLocale(): string {
  return useTenantLocale();
}
