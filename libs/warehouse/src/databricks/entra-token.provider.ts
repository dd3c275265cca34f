import type { TokenCredential } from '@azure/identity';
import type { ITokenProvider } from '@databricks/sql';
import { databricksSql } from './databricks-sql.loader';

/** The Azure Databricks first-party application: tokens for it authenticate to any workspace. */
export const AZURE_DATABRICKS_SCOPE = '2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default';

/**
 * Entra ID tokens for the driver. The driver wraps a token provider in its own cache that asks
 * again five minutes before `expiresAt`, so every HTTP request carries a live token and no
 * reconnect is needed when one expires.
 */
export class EntraTokenProvider implements ITokenProvider {
  constructor(
    private readonly credential: TokenCredential,
    private readonly scope: string = AZURE_DATABRICKS_SCOPE,
  ) {}

  async getToken() {
    const token = await this.credential.getToken(this.scope);
    if (!token) throw new Error('Entra ID returned no token for Azure Databricks');
    return new (databricksSql().auth.Token)(token.token, { expiresAt: new Date(token.expiresOnTimestamp) });
  }

  getName(): string {
    return 'kineo-entra-id';
  }
}
