import fs from 'node:fs';
import path from 'node:path';

/** A tiny LMS export (3 users, one course, one quarantined completion), `overrides` replacing whole files. */
export function writeExport(dir: string, overrides: Record<string, string[]> = {}) {
  fs.mkdirSync(dir, { recursive: true });
  const files: Record<string, string[]> = {
    'users.csv': [
      'id,username,idnumber,firstname,lastname,email,department,city,country,timezone,suspended,deleted,timecreated,lastaccess',
      '1,boss,,Bo,Ss,boss@x.org,,,,99,0,0,1700000000,0',
      '2,ann,,Ann,A,ann@x.org,,,,99,0,0,1700000000,0',
      '3,ben,,Ben,B,ben@x.org,,,,99,0,0,1700000000,0',
    ],
    'job_assignments.csv': [
      'id,userid,idnumber,fullname,sortorder,managerjaid,tempmanagerjaid,tempmanagerexpirydate,organisationid,positionid,startdate,enddate',
      '11,1,,,1,,,,,,,',
      '12,2,,,1,11,,,,,,',
      '13,3,,,1,12,,,,,,',
    ],
    'courses.csv': ['id,fullname,shortname,idnumber,category,coursetype,visible,startdate,enablecompletion', '100,Safety,S,,1,0,1,0,1'],
    'course_completions.csv': [
      'id,userid,course,timeenrolled,timestarted,timecompleted,status,rplgrade,organisationid,positionid',
      '1,2,100,1700000000,1700000100,1700000200,50,,,',
      '2,3,100,1700000000,0,0,99,,,',
    ],
    ...overrides,
  };
  for (const [name, lines] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), lines.join('\n') + '\n');
  return dir;
}
