import { applyDecorators, createParamDecorator, SetMetadata, UseGuards, type ExecutionContext } from '@nestjs/common';
import type { LoginOrigin, Principal, TenantContext } from '@kineo/auth';
import type { TenantRole } from '@kineo/db';
import { AuthenticatedGuard, principalOf, ROLES_KEY, RolesGuard, tenantContextOf, TenantGuard } from './auth.guards';
import { requestOf } from './request-auth.util';

/**
 * Who an operation is for, when it is not a tenant role (`@Roles`). Every GraphQL field and route
 * declares one or the other; a test walks the schema and fails on any that does not.
 */
export const ACCESS_KEY = 'kineo:access';
export type Access = 'public' | 'signed-in';

/** Anyone, signed in or not (sign-in itself, what is serving). */
export const Public = () => SetMetadata(ACCESS_KEY, 'public' satisfies Access);

/** Any signed-in caller, with or without a tenant. */
export const SignedIn = () => applyDecorators(SetMetadata(ACCESS_KEY, 'signed-in' satisfies Access), UseGuards(AuthenticatedGuard));

/** Only callers acting for a tenant with one of these roles get through. */
export const Roles = (...roles: [TenantRole, ...TenantRole[]]) => applyDecorators(SetMetadata(ROLES_KEY, roles), UseGuards(TenantGuard, RolesGuard));

/** The caller's TenantContext, resolved from the verified session, never from anything the caller sends. */
export const CurrentTenant = createParamDecorator((_data: unknown, context: ExecutionContext): TenantContext => tenantContextOf(context));

/** The verified caller: user, role and (for a tenant session) the tenant. */
export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => principalOf(context));

/**
 * Where the request came from, for the audit log. (Not `@Context('reply')`: a Fastify reply is
 * thenable, and Nest awaits a thenable parameter, which never settles before the reply is sent.)
 */
export const RequestOrigin = createParamDecorator((_data: unknown, context: ExecutionContext): LoginOrigin => {
  const request = requestOf(context);
  const userAgent = request.headers['user-agent'];
  return { ip: request.ip, ...(userAgent ? { userAgent } : {}) };
});
