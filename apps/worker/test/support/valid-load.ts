/** The four files of a valid load, one row each. */
export const VALID_LOAD_FILES: Record<string, string> = {
  'users.csv': 'id,username,idnumber,firstname,lastname,email,department,city,country,timezone,suspended,deleted,timecreated,lastaccess\n1,a,,A,A,a@x.org,,,,99,0,0,0,0\n',
  'job_assignments.csv': 'id,userid,idnumber,fullname,sortorder,managerjaid,tempmanagerjaid,tempmanagerexpirydate,organisationid,positionid,startdate,enddate\n1,1,,,1,,,,,,,\n',
  'courses.csv': 'id,fullname,shortname,idnumber,category,coursetype,visible,startdate,enablecompletion\n1,C,C,,1,0,1,0,1\n',
  'course_completions.csv': 'id,userid,course,timeenrolled,timestarted,timecompleted,status,rplgrade,organisationid,positionid\n1,1,1,0,0,0,10,,,\n',
};
