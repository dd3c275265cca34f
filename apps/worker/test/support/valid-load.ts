import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { PrismaClient } from '@kineo/db';
import { requestLoad, type JobQueues } from '@kineo/jobs';

/** The four files of a valid load, one row each. */
export const VALID_LOAD_FILES: Record<string, string> = {
  'users.csv': 'id,username,idnumber,firstname,lastname,email,department,city,country,timezone,suspended,deleted,timecreated,lastaccess\n1,a,,A,A,a@x.org,,,,99,0,0,0,0\n',
  'job_assignments.csv': 'id,userid,idnumber,fullname,sortorder,managerjaid,tempmanagerjaid,tempmanagerexpirydate,organisationid,positionid,startdate,enddate\n1,1,,,1,,,,,,,\n',
  'courses.csv': 'id,fullname,shortname,idnumber,category,coursetype,visible,startdate,enablecompletion\n1,C,C,,1,0,1,0,1\n',
  'course_completions.csv': 'id,userid,course,timeenrolled,timestarted,timecompleted,status,rplgrade,organisationid,positionid\n1,1,1,0,0,0,10,,,\n',
};

/** Lands `files` in the tenant's landing folder as `kineo ingest` does, and asks for their load. */
export async function requestLandedLoad(
  prisma: PrismaClient,
  queues: JobQueues,
  dataDir: string,
  tenant: { id: string; namespace: string },
  files: Record<string, string> = VALID_LOAD_FILES,
) {
  const ingestionRunId = randomUUID();
  const folder = path.join(dataDir, 'landing', tenant.namespace, ingestionRunId);
  fs.mkdirSync(folder, { recursive: true });
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(folder, name), text);
  return requestLoad(prisma, queues, {
    tenantId: tenant.id,
    ingestionRunId,
    files: Object.keys(files).map((name) => ({ name, path: path.join(folder, name) })),
    source: 'cli',
    requestedBy: 'test',
  });
}
