import fs from 'node:fs';

/** What the global setup built, handed to the tests through a file named in the environment. */
export interface World {
  portalUrl: string;
  gatewayUrl: string;
  password: string;
  tenant: { slug: string; name: string };
  logins: {
    admin: string;
    manager: string;
    ops: string;
    /** Org admin of an organisation whose load had no certifications, and over a thousand active learners. */
    noCertsAdmin: string;
    /** Org admin of an organisation with nothing loaded. */
    emptyAdmin: string;
    /** Org admin of the organisation the onboarding tests load in the browser. */
    onboardAdmin: string;
    /** Org admin of an organisation whose published gold an earlier release built (one Fiscal-year history tile fails). */
    staleGoldAdmin: string;
    /** A viewer of the main organisation whose admin has granted them no organisation yet. */
    ungrantedViewer: string;
    /** A viewer of the main organisation granted one division (`grantedDivision`) by its org admin. */
    divisionViewer: string;
  };
  /** The division granted to `divisionViewer` ("People & Culture", below the company), as the published gold names it. */
  grantedDivision: { id: number; name: string; path: string };
  /** The manager's LMS user key and everyone they manage, read from published gold by `kineo sql`. */
  manager: { userKey: number; reportKeys: number[] };
  /** The active learners of the organisation without certifications (over a thousand), read from published gold by `kineo sql`. */
  noCertsLearners: number;
  /** The organisation onboarded in the browser, and the generated LMS export its admin uploads. */
  onboard: { tenant: { slug: string; name: string }; exportDir: string };
  /** An organisation loaded once (version 1) and then offboarded by `kineo tenant offboard`. */
  offboarded: { slug: string; name: string };
}

export const WORLD_FILE_ENV = 'KINEO_PORTAL_E2E_WORLD';

export function readWorld(): World {
  const file = process.env[WORLD_FILE_ENV];
  if (!file) throw new Error(`${WORLD_FILE_ENV} is not set: run the browser tests with "npx playwright test" so the global setup runs`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as World;
}
