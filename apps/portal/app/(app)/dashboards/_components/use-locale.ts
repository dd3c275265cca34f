'use client';

import { useFiscalYearStartMonth, useTenantLocale } from '@/app/_client/locale-context';
import { localToday, type PeriodContext } from './dashboard-url.util';

/** The locale numbers and dates are shown in: the organisation's, as the gateway says. */
export function useLocale(): string {
  return useTenantLocale();
}

/** What a period in the URL is counted from: today in the browser, and the organisation's fiscal year. */
export function usePeriodContext(): PeriodContext {
  return { today: localToday(), fiscalYearStartMonth: useFiscalYearStartMonth() };
}
