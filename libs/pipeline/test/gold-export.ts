import { daysFrom, unix, type LmsExport } from './gold-fixtures';

/**
 * A small hand-written LMS export for the gold tests: one row per case, the case in its comment.
 * Figures are as at AS_OF (fiscal years are calendar years unless a test says otherwise).
 */
export const AS_OF = '2025-03-15T12:00:00Z';
const past = (days: number) => daysFrom(AS_OF, -days);
const future = (days: number) => daysFrom(AS_OF, days);

const user = (id: number, name: string, extra: { suspended?: number; deleted?: number } = {}) => ({
  id, username: name, idnumber: `E${id}`, firstname: name[0].toUpperCase() + name.slice(1), lastname: 'Test', email: `${name}@example.org`,
  timezone: '99', suspended: extra.suspended ?? 0, deleted: extra.deleted ?? 0, timecreated: '2020-01-01',
});

export const GOLD_EXPORT: LmsExport = {
  users: [
    user(1, 'ada'), // active, manages 5
    user(2, 'bob', { deleted: 1 }), // deleted: manager of 4
    user(3, 'cy', { suspended: 1 }), // suspended
    user(4, 'dee'), // manager (2) deleted: no manager
    user(5, 'eve'),
    user(6, 'fay'),
    user(7, 'gus'),
    user(8, 'hal'),
    user(9, 'ivy'),
    user(10, 'jo'),
    user(11, 'kai'),
    { id: 12, username: 'noname', suspended: 0, deleted: 0 }, // no names, no email
    // A second 'Ada Test', told apart by the username; two 'Sam Test' without one, by the id.
    { ...user(13, 'ada'), username: 'ada2', email: 'ada2@example.org' },
    { ...user(14, 'sam'), username: '' },
    { ...user(15, 'sam'), username: ' ' },
  ],
  job_assignments: [
    { id: 101, userid: 1, sortorder: 1, organisationid: 11, positionid: 20 },
    { id: 201, userid: 1, sortorder: 2, organisationid: 12, positionid: 21 }, // not primary: higher sortorder
    { id: 102, userid: 2, sortorder: 1, organisationid: 10 },
    { id: 104, userid: 4, sortorder: 1, managerjaid: 102 }, // manager's user deleted
    { id: 105, userid: 5, sortorder: 1, managerjaid: 101, organisationid: 77 }, // organisation not in the file
  ],
  organisations: [
    { id: 10, parentid: 0, path: '/10', depthlevel: 1, shortname: 'HQ', fullname: 'Head office' }, // top
    { id: 11, parentid: 10, path: '/10/11', depthlevel: 2, shortname: 'OPS', fullname: 'Operations' }, // child
    { id: 12, parentid: 99, path: '/99/12', shortname: 'LOST', fullname: 'Lost branch' }, // parent missing, no depthlevel
    // One name under two parents, then twice under one: told apart by the parent's name, then by the id.
    { id: 13, parentid: 10, path: '/10/13', depthlevel: 2, shortname: 'PAY1', fullname: 'Payroll' },
    { id: 14, parentid: 11, path: '/10/11/14', depthlevel: 3, shortname: 'PAY2', fullname: 'Payroll' },
    { id: 15, parentid: 11, path: '/10/11/15', depthlevel: 3, shortname: 'T1', fullname: 'Team' },
    { id: 16, parentid: 11, path: '/10/11/16', depthlevel: 3, shortname: 'T2', fullname: 'Team' },
  ],
  positions: [
    { id: 20, parentid: 0, path: '/20', depthlevel: 1, fullname: 'Manager' },
    { id: 21, parentid: 20, path: '/20/21', depthlevel: 2, fullname: 'Engineer' },
  ],
  courses: [
    { id: 100, fullname: 'Fire safety', shortname: 'FS', coursetype: 0, visible: 1 }, // elearning
    { id: 101, fullname: 'First aid', shortname: 'FA', coursetype: 1, visible: 1 }, // blended
    { id: 102, fullname: 'Evacuation drill', shortname: 'ED', coursetype: 2, visible: 1 }, // seminar
    { id: 103, fullname: 'Old course', shortname: 'OC', coursetype: 0, visible: 0 }, // hidden from dashboards
    // Two more named 'Fire safety': told apart by the short name, or, without one, by the id.
    { id: 104, fullname: 'Fire safety', shortname: 'FS-2', coursetype: 0, visible: 1 },
    { id: 105, fullname: 'Fire safety', shortname: '', coursetype: 0, visible: 1 },
  ],
  course_completions: [
    // complete: started 2025-01-03 09:00, completed 2025-01-10 09:00 -> 7 days
    { id: 1000, userid: 1, course: 100, timeenrolled: '2025-01-01', timestarted: '2025-01-03T09:00:00Z', timecompleted: '2025-01-10T09:00:00Z', status: 50 },
    // complete, never started: 10 days from enrolment
    { id: 1001, userid: 1, course: 101, timeenrolled: unix('2025-01-01'), timestarted: 0, timecompleted: unix('2025-01-11'), status: 50 },
    // complete via RPL on the day of enrolment
    { id: 1002, userid: 5, course: 100, timeenrolled: '2025-02-01', timestarted: 0, timecompleted: '2025-02-01T15:00:00Z', status: 75, rplgrade: 'Prior role' },
    { id: 1003, userid: 5, course: 101, timeenrolled: '2025-02-01', timestarted: '2025-02-02', status: 25 }, // in progress
    { id: 1004, userid: 4, course: 100, timeenrolled: '2025-02-01', status: 10 }, // not started
    { id: 1005, userid: 6, course: 100, timeenrolled: '2025-02-01', status: 0 }, // unknown (Totara's default)
    { id: 1006, userid: 999, course: 888, timeenrolled: '2025-02-01', status: 10 }, // user and course not in the export
    { id: 1007, userid: 2, course: 100, timeenrolled: '2024-01-01', timecompleted: '2024-02-01', status: 50 }, // deleted user
    { id: 1008, userid: 3, course: 100, timeenrolled: '2011-05-01', timecompleted: '2011-06-01', status: 50 }, // before 2012: date key -1
  ],
  programs: [
    { id: 300, fullname: 'Induction', shortname: 'IND', visible: 1, available: 1 },
    { id: 400, fullname: 'Fire warden', shortname: 'FW', visible: 1, available: 1, certifid: 40, activeperiod: '1 year', windowperiod: '1 month', recertifydatetype: 1 },
  ],
  prog_completions: [
    { id: 3001, programid: 300, userid: 1, coursesetid: 0, status: 0, timestarted: past(30), timedue: past(10) }, // overdue
    { id: 3002, programid: 300, userid: 4, coursesetid: 0, status: 1, timedue: past(10), timecompleted: past(12) }, // complete: not overdue
    { id: 3003, programid: 300, userid: 5, coursesetid: 0, status: 0, timedue: -1 }, // no due date
    { id: 3004, programid: 300, userid: 6, coursesetid: 0, status: 0, timedue: 0 }, // data error
    { id: 3005, programid: 300, userid: 7, coursesetid: 0, status: 0, timedue: future(10) }, // due later
    { id: 3006, programid: 300, userid: 2, coursesetid: 0, status: 0, timedue: past(10) }, // deleted user: not overdue
    { id: 3007, programid: 300, userid: 3, coursesetid: 0, status: 0, timedue: past(10) }, // suspended user: not overdue
    { id: 3008, programid: 300, userid: 8, coursesetid: 5, status: 2, timedue: past(10) }, // a course-set row: not program progress
    { id: 3009, programid: 999, userid: 1, coursesetid: 0, status: 0, timedue: -1 }, // program not in the export
    // the certification's program rows: they give the certification its due date
    { id: 4006, programid: 400, userid: 6, coursesetid: 0, status: 0, timedue: past(14) },
    { id: 4007, programid: 400, userid: 7, coursesetid: 0, status: 0, timedue: future(17) },
    { id: 4008, programid: 400, userid: 8, coursesetid: 0, status: 0, timedue: -1 },
    { id: 4009, programid: 400, userid: 9, coursesetid: 0, status: 0, timedue: 0 },
    { id: 4011, programid: 400, userid: 11, coursesetid: 0, status: 0, timedue: past(30) },
  ],
  cert_completions: [
    // certified, window not yet open: green, compliant
    { id: 401, certifid: 40, userid: 1, certifpath: 2, status: 3, renewalstatus: 0, timecompleted: '2024-06-01', timewindowopens: '2025-05-01', timeexpires: '2025-06-01' },
    // renewal window open: amber, still compliant
    { id: 404, certifid: 40, userid: 4, certifpath: 2, status: 3, renewalstatus: 1, timecompleted: '2024-04-01', timewindowopens: '2025-03-01', timeexpires: '2025-04-01' },
    // expired: red, not compliant
    { id: 405, certifid: 40, userid: 5, certifpath: 2, status: 4, renewalstatus: 2, timecompleted: '2023-01-01', timewindowopens: '2023-12-01', timeexpires: '2024-01-01' },
    { id: 406, certifid: 40, userid: 6, certifpath: 1, status: 1, renewalstatus: 0 }, // assigned, due date passed: red, overdue
    { id: 407, certifid: 40, userid: 7, certifpath: 1, status: 2, renewalstatus: 0 }, // in progress, due later: amber
    { id: 408, certifid: 40, userid: 8, certifpath: 1, status: 1, renewalstatus: 0 }, // assigned, timedue -1: green
    { id: 409, certifid: 40, userid: 9, certifpath: 1, status: 1, renewalstatus: 0 }, // assigned, timedue 0: green, flagged
    { id: 410, certifid: 40, userid: 10, certifpath: 1, status: 1, renewalstatus: 0 }, // assigned, no program row: green
    { id: 411, certifid: 40, userid: 11, certifpath: 1, status: 4, renewalstatus: 2 }, // expired and past due: expired, not overdue
    { id: 412, certifid: 41, userid: 1, certifpath: 1, status: 1, renewalstatus: 0 }, // certification not in the export
  ],
  program_courses: [
    { programid: 400, coursesetid: 1, courseid: 100, certifpath: 1 }, // certification path
    { programid: 400, coursesetid: 2, courseid: 101, certifpath: 2 }, // recertification path
    { programid: 400, coursesetid: 3, courseid: 102 }, // both paths
    { programid: 300, coursesetid: 1, courseid: 103 }, // a plain program's course: not toward a certification
  ],
  scorm: [
    { id: 500, course: 100, name: 'Fire safety 1.2', version: 'SCORM_12', whatgrade: 0, maxattempt: 0 },
    { id: 501, course: 100, name: 'Fire safety 2004', version: 'SCORM_13', whatgrade: 3, maxattempt: 2 },
    { id: 509, course: 101, name: 'Fire safety 2004', version: 'SCORM_13', whatgrade: 3, maxattempt: 2 }, // the same name in another course
  ],
  scorm_tracks: [
    // 1.2 passed: complete and passed, 10:30.5
    { userid: 1, scormid: 500, scoid: 1, attempt: 1, element: 'cmi.core.lesson_status', value: 'passed', timemodified: '2025-03-01T10:00:00Z' },
    { userid: 1, scormid: 500, scoid: 1, attempt: 1, element: 'cmi.core.total_time', value: '0000:10:30.50', timemodified: '2025-03-01T10:00:00Z' },
    { userid: 1, scormid: 500, scoid: 1, attempt: 1, element: 'cmi.core.score.raw', value: '85', timemodified: '2025-03-01T10:00:00Z' },
    // 1.2 completed: complete, not passed, one hour, the next day
    { userid: 1, scormid: 500, scoid: 1, attempt: 2, element: 'cmi.core.lesson_status', value: 'completed', timemodified: '2025-03-02T10:00:00Z' },
    { userid: 1, scormid: 500, scoid: 1, attempt: 2, element: 'cmi.core.total_time', value: '0001:00:00', timemodified: '2025-03-02T10:00:00Z' },
    // 1.2 failed: neither
    { userid: 4, scormid: 500, scoid: 1, attempt: 1, element: 'cmi.core.lesson_status', value: 'failed', timemodified: '2025-03-01T10:00:00Z' },
    // 2004 completed but failed: complete, not passed, PT1H2M3S
    { userid: 1, scormid: 501, scoid: 1, attempt: 1, element: 'cmi.completion_status', value: 'completed', timemodified: '2025-03-01T11:00:00Z' },
    { userid: 1, scormid: 501, scoid: 1, attempt: 1, element: 'cmi.success_status', value: 'failed', timemodified: '2025-03-01T11:00:00Z' },
    { userid: 1, scormid: 501, scoid: 1, attempt: 1, element: 'cmi.total_time', value: 'PT1H2M3S', timemodified: '2025-03-01T11:00:00Z' },
    { userid: 1, scormid: 501, scoid: 1, attempt: 1, element: 'cmi.score.raw', value: '40', timemodified: '2025-03-01T11:00:00Z' },
    // 2004 passed but incomplete: passed, not complete
    { userid: 4, scormid: 501, scoid: 1, attempt: 1, element: 'cmi.completion_status', value: 'incomplete', timemodified: '2025-03-03T09:00:00Z' },
    { userid: 4, scormid: 501, scoid: 1, attempt: 1, element: 'cmi.success_status', value: 'passed', timemodified: '2025-03-03T09:00:00Z' },
    { userid: 4, scormid: 501, scoid: 1, attempt: 1, element: 'cmi.total_time', value: 'PT45M0.5S', timemodified: '2025-03-03T09:00:00Z' },
    // 2004 with a 1.2-style lesson_status element: the 2004 elements decide, so not complete
    { userid: 5, scormid: 501, scoid: 1, attempt: 1, element: 'cmi.core.lesson_status', value: 'completed', timemodified: '2025-03-03T09:00:00Z' },
    // Two-SCO packages: the SCO touched last is the more advanced one, yet the package reads as the
    // SCO holding it back. 1.2, attempt 1: passed + completed; 2: passed + incomplete; 3: both passed.
    { userid: 6, scormid: 500, scoid: 1, attempt: 1, element: 'cmi.core.lesson_status', value: 'completed', timemodified: '2025-04-01T10:00:00Z' },
    { userid: 6, scormid: 500, scoid: 2, attempt: 1, element: 'cmi.core.lesson_status', value: 'passed', timemodified: '2025-04-01T11:00:00Z' },
    { userid: 6, scormid: 500, scoid: 1, attempt: 2, element: 'cmi.core.lesson_status', value: 'incomplete', timemodified: '2025-04-02T10:00:00Z' },
    { userid: 6, scormid: 500, scoid: 2, attempt: 2, element: 'cmi.core.lesson_status', value: 'passed', timemodified: '2025-04-02T11:00:00Z' },
    { userid: 6, scormid: 500, scoid: 1, attempt: 3, element: 'cmi.core.lesson_status', value: 'passed', timemodified: '2025-04-03T10:00:00Z' },
    { userid: 6, scormid: 500, scoid: 2, attempt: 3, element: 'cmi.core.lesson_status', value: 'Passed', timemodified: '2025-04-03T11:00:00Z' },
    // 2004, attempt 1: completed and passed + incomplete and failed; 2: both completed and passed.
    { userid: 6, scormid: 501, scoid: 1, attempt: 1, element: 'cmi.completion_status', value: 'incomplete', timemodified: '2025-04-01T10:00:00Z' },
    { userid: 6, scormid: 501, scoid: 1, attempt: 1, element: 'cmi.success_status', value: 'failed', timemodified: '2025-04-01T10:00:00Z' },
    { userid: 6, scormid: 501, scoid: 2, attempt: 1, element: 'cmi.completion_status', value: 'completed', timemodified: '2025-04-01T11:00:00Z' },
    { userid: 6, scormid: 501, scoid: 2, attempt: 1, element: 'cmi.success_status', value: 'passed', timemodified: '2025-04-01T11:00:00Z' },
    { userid: 6, scormid: 501, scoid: 1, attempt: 2, element: 'cmi.completion_status', value: 'completed', timemodified: '2025-04-02T10:00:00Z' },
    { userid: 6, scormid: 501, scoid: 1, attempt: 2, element: 'cmi.success_status', value: 'passed', timemodified: '2025-04-02T10:00:00Z' },
    { userid: 6, scormid: 501, scoid: 2, attempt: 2, element: 'cmi.completion_status', value: 'completed', timemodified: '2025-04-02T11:00:00Z' },
    { userid: 6, scormid: 501, scoid: 2, attempt: 2, element: 'cmi.success_status', value: 'passed', timemodified: '2025-04-02T11:00:00Z' },
    // a package not in scorm.csv, read as 1.2 from its elements
    { userid: 5, scormid: 502, scoid: 1, attempt: 1, element: 'cmi.core.lesson_status', value: 'passed', timemodified: '2025-03-03T09:00:00Z' },
  ],
  seminar_sessions: [
    { sessionid: 600, facetofaceid: 60, seminarname: 'Evacuation drill', courseid: 102, capacity: 10, cancelledstatus: 0, timestart: '2025-02-10T09:00:00Z', timefinish: '2025-02-10T12:00:00Z' },
    { sessionid: 600, facetofaceid: 60, seminarname: 'Evacuation drill', courseid: 102, capacity: 10, cancelledstatus: 0, timestart: '2025-02-11T09:00:00Z', timefinish: '2025-02-11T11:30:00Z' },
    { sessionid: 601, facetofaceid: 60, seminarname: 'Evacuation drill', courseid: 102, capacity: 10, cancelledstatus: 0, timestart: '2025-02-20T10:00:00Z', timefinish: '2025-02-20T11:00:00Z' },
    // Another seminar of the same name, in another course.
    { sessionid: 609, facetofaceid: 69, seminarname: 'Evacuation drill', courseid: 101, capacity: 5, cancelledstatus: 0, timestart: '2025-03-10T09:00:00Z', timefinish: '2025-03-10T10:00:00Z' },
  ],
  seminar_signups: [
    // booked, then attended: attended, 3 h + 2.5 h on the two session days
    { signupid: 700, sessionid: 600, userid: 1, statuscode: 70, superceded: 1, timecreated: '2025-01-05T08:00:00Z' },
    { signupid: 700, sessionid: 600, userid: 1, statuscode: 100, superceded: 0, timecreated: '2025-02-12T08:00:00Z' },
    // booked, then cancelled by the user: cancelled
    { signupid: 701, sessionid: 600, userid: 4, statuscode: 70, superceded: 1, timecreated: '2025-01-05T08:00:00Z' },
    { signupid: 701, sessionid: 600, userid: 4, statuscode: 10, superceded: 0, timecreated: '2025-01-20T08:00:00Z' },
    // two current rows: the latest wins (booked)
    { signupid: 702, sessionid: 601, userid: 5, statuscode: 60, superceded: 0, timecreated: '2025-01-06T08:00:00Z' },
    { signupid: 702, sessionid: 601, userid: 5, statuscode: 70, superceded: 0, timecreated: '2025-01-07T08:00:00Z' },
    { signupid: 703, sessionid: 601, userid: 6, statuscode: 80, superceded: 0, timecreated: '2025-02-21T08:00:00Z' }, // no show
    { signupid: 704, sessionid: 601, userid: 7, statuscode: 90, superceded: 0, timecreated: '2025-02-21T08:00:00Z' }, // partly attended: 1 h
    { signupid: 705, sessionid: 999, userid: 1, statuscode: 40, superceded: 0, timecreated: '2025-02-21T08:00:00Z' }, // event not in the export
  ],
};
