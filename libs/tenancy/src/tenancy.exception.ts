import { DomainError } from '@kineo/errors';

export type TenancyErrorCode = 'IDENTIFIER_INVALID' | 'TENANT_SEQUENCE_INVALID';

/** A name that breaks the tenant naming rules; the offending value is in the message. */
export class TenancyError extends DomainError<TenancyErrorCode> {}
