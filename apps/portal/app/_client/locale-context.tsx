'use client';

import { createContext, useContext, type ReactNode } from 'react';

const LocaleContext = createContext('en-GB');

/**
 * The signed-in organisation's locale (the gateway's `me.locale`, set by Kineo ops), for every
 * number and date on its screens: the server render and the browser format the same way, whatever
 * the browser's own language.
 */
export function LocaleProvider({ locale, children }: { locale: string; children: ReactNode }) {
  return <LocaleContext.Provider value={locale}>{children}</LocaleContext.Provider>;
}

export function useTenantLocale(): string {
  return useContext(LocaleContext);
}
