'use client';

import { useQuery } from '@tanstack/react-query';
import { graphql } from '@/generated/browser';
import { runOperation } from '../_client/graphql-client';

const ServiceVersion = graphql(`
  query ServiceVersion {
    platform {
      version
      environment
    }
  }
`);

/** Which release answers, for a support conversation; fetched through the portal's own proxy. */
export function ServiceFooter() {
  const { data } = useQuery({ queryKey: ['service-version'], queryFn: () => runOperation(ServiceVersion), staleTime: Infinity });
  return (
    <footer className="footer">
      <span data-testid="service-version">{data ? `Analytics service ${data.platform.version} (${data.platform.environment})` : ' '}</span>
    </footer>
  );
}
