import { createRequire } from 'node:module';
import type * as StorageBlob from '@azure/storage-blob';
import { azureIdentity, type Settings } from '@kineo/config';
import { AzureBlobLandingStore } from './azure-blob-landing.store';
import type { LandingStore } from './landing-store';
import { LocalLandingStore } from './local-landing.store';

/** Azurite's fixed development account, published by Microsoft: it opens nothing but the emulator. */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export type LandingSettings = Pick<Settings, 'KINEO_DATA_DIR' | 'LANDING_STORE' | 'LANDING_BLOB_URL' | 'LANDING_BLOB_AUTH'>;

/**
 * The landing store the settings name. In Azure the container is reached with the app's managed
 * identity (DefaultAzureCredential); against the emulator with its development account, and
 * everything past the credential is the same.
 */
export function createLandingStore(settings: LandingSettings): LandingStore {
  if (settings.LANDING_STORE === 'local') return new LocalLandingStore(settings.KINEO_DATA_DIR);
  if (!settings.LANDING_BLOB_URL) throw new Error('LANDING_BLOB_URL is required when LANDING_STORE=azure-blob');
  // Loaded here, not at import: a gateway or worker on the local store never pays for the Azure SDK.
  const { ContainerClient, StorageSharedKeyCredential } = createRequire(__filename)('@azure/storage-blob') as typeof StorageBlob;
  const credential = settings.LANDING_BLOB_AUTH === 'azurite' ? new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_ACCOUNT_KEY) : new (azureIdentity().DefaultAzureCredential)();
  return new AzureBlobLandingStore(new ContainerClient(settings.LANDING_BLOB_URL, credential), settings.KINEO_DATA_DIR);
}
