'use client';

import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { OperationError } from './_client/graphql-client';

export function Providers({ children }: { children: ReactNode }) {
  // One client per browser tab (not per module) so server renders never share cached data between users.
  const [client] = useState(
    () =>
      new QueryClient({
        defaultOptions: {
          queries: {
            staleTime: 60_000,
            refetchOnWindowFocus: false,
            // A refusal (signed out, forbidden, bad filter) will not change on retry; a dropped connection may.
            retry: (failures, error) => !(error instanceof OperationError && error.status > 0 && error.status < 500) && failures < 2,
          },
        },
      }),
  );
  return <QueryClientProvider client={client}>{children}</QueryClientProvider>;
}
