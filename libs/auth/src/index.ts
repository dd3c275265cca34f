export * from './auth.exception';
export * from './auth.service';
export * from './email.util';
export * from './login-input.util';
export * from './password.util';
export * from './session-token.service';
export * from './tenant-context.types';
export * from './user.service';
