'use client';

import { createContext, useContext, type ReactNode } from 'react';

const LocaleContext = createContext('en-GB');
const FiscalYearContext = createContext(1);

/**
 * The signed-in organisation's locale (the gateway's `me.locale`, set by Kineo ops), for every
 * number and date on its screens: the server render and the browser format the same way, whatever
 * the browser's own language.
 */
export function LocaleProvider({ locale, fiscalYearStartMonth = 1, children }: { locale: string; fiscalYearStartMonth?: number | null; children: ReactNode }) {
  return (
    <LocaleContext.Provider value={locale}>
      <FiscalYearContext.Provider value={fiscalYearStartMonth ?? 1}>{children}</FiscalYearContext.Provider>
    </LocaleContext.Provider>
  );
}

export function useTenantLocale(): string {
  return useContext(LocaleContext);
}

/** The month (1-12) the organisation's fiscal year starts in (the gateway's `me.fiscalYearStartMonth`): what "this fiscal year" means. */
export function useFiscalYearStartMonth(): number {
  return useContext(FiscalYearContext);
}
