import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import { activeWithin, ATTR, markFailed, spanOf } from '@kineo/telemetry';
import type { GraphQLResolveInfo } from 'graphql';
import { Observable } from 'rxjs';
import { requestOf } from '../auth/request-auth.util';

/**
 * A span per GraphQL operation field (`Query.analytics`), the child of the request's span and the
 * parent of the warehouse statements it runs. Arguments stay out: they can hold filters on people.
 */
@Injectable()
export class ResolverSpanInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType<'http' | 'graphql'>() !== 'graphql') return next.handle();
    const info = GqlExecutionContext.create(context).getInfo<GraphQLResolveInfo>();
    const tenant = requestOf(context).kineoAuth?.principal?.context;
    const span = spanOf(`graphql ${info.parentType.name}.${info.fieldName}`, {
      'graphql.operation.type': info.operation.operation,
      'graphql.field.name': info.fieldName,
      ...(info.operation.name ? { 'graphql.operation.name': info.operation.name.value } : {}),
      ...(tenant ? { [ATTR.tenant]: tenant.namespace, [ATTR.tenantId]: tenant.tenantId, [ATTR.dataVersion]: tenant.dataVersion } : {}),
    });
    if (!span) return next.handle();
    return new Observable((subscriber) => {
      // Nest binds the resolver to the async context current when handle() is called: the span's.
      const subscription = activeWithin(span, () => next.handle()).subscribe({
        next: (value) => subscriber.next(value),
        error: (error: unknown) => {
          markFailed(span, error);
          span.end();
          subscriber.error(error);
        },
        complete: () => {
          span.end();
          subscriber.complete();
        },
      });
      return () => subscription.unsubscribe();
    });
  }
}
