export * from './settings';
export * from './secret-store';
export { azureIdentity } from './azure-sdk.loader';
