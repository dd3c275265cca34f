import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthError, type Principal, type TenantContext } from '@kineo/auth';
import type { TenantRole } from '@kineo/db';
import { authSettled, requestOf } from './request-auth.util';

export const ROLES_KEY = 'kineo:roles';

/** The verified caller, or the reason there is none. Behind a guard: a guard awaits the session check (`authSettled`). */
export function principalOf(context: ExecutionContext): Principal {
  const auth = requestOf(context).kineoAuth;
  // A handler reached without a guard awaiting the check must not read a principal that is not confirmed yet.
  if (auth?.pending) throw new Error('The session check has not finished: the operation needs a guard (@Roles, @SignedIn or @OpsOnly).');
  if (auth?.error) throw auth.error;
  if (!auth?.principal) throw new AuthError('UNAUTHENTICATED', 'Sign in first, then send the session token as "Authorization: Bearer <token>".');
  return auth.principal;
}

/** The caller's tenant, from the verified session; a platform session has none. */
export function tenantContextOf(context: ExecutionContext): TenantContext {
  const principal = principalOf(context);
  if (!principal.context) {
    throw new AuthError('FORBIDDEN', 'This needs an organisation session; a Kineo ops session acts for no organisation.');
  }
  return principal.context;
}

/** Lets through any signed-in caller, with or without a tenant. */
@Injectable()
export class AuthenticatedGuard implements CanActivate {
  async canActivate(context: ExecutionContext): Promise<boolean> {
    await authSettled(requestOf(context));
    principalOf(context);
    return true;
  }
}

/** Lets through only a caller acting for a tenant, so a handler behind it always has a TenantContext. */
@Injectable()
export class TenantGuard implements CanActivate {
  async canActivate(context: ExecutionContext): Promise<boolean> {
    await authSettled(requestOf(context));
    tenantContextOf(context);
    return true;
  }
}

/** Checks the caller's role in their tenant against `@Roles(...)`. */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    await authSettled(requestOf(context));
    const roles = this.reflector.getAllAndOverride<TenantRole[] | undefined>(ROLES_KEY, [context.getHandler(), context.getClass()]);
    const tenant = tenantContextOf(context);
    if (roles && !roles.includes(tenant.role)) {
      throw new AuthError('FORBIDDEN', `This needs the ${roles.join(' or ')} role; you are ${tenant.role}.`, { required: roles });
    }
    return true;
  }
}
