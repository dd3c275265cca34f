import { applyDecorators, Injectable, SetMetadata, UseGuards, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { AuthError, OPS_ROLE } from '@kineo/auth';
import { principalOf, ROLES_KEY } from './auth.guards';
import { authSettled, requestOf } from './request-auth.util';

/** Lets through only a Kineo ops session (a platform session, outside every tenant). */
@Injectable()
export class OpsGuard implements CanActivate {
  async canActivate(context: ExecutionContext): Promise<boolean> {
    await authSettled(requestOf(context));
    const principal = principalOf(context);
    if (principal.role !== OPS_ROLE) {
      throw new AuthError('FORBIDDEN', `This needs a Kineo ops session; you are ${principal.role}.`, { required: [OPS_ROLE] });
    }
    return true;
  }
}

/**
 * Kineo ops only. Declared under the same metadata key as `@Roles`, so the check that every
 * operation declares the role it needs sees it.
 */
export const OpsOnly = () => applyDecorators(SetMetadata(ROLES_KEY, [OPS_ROLE]), UseGuards(OpsGuard));
