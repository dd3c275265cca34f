import type { DimensionValue } from '../analytics.types';
import type { DimensionDef } from './model.types';

/**
 * The codes of the LMS export's coded columns (see the data contract), as a dashboard reads them.
 * The order is a legend's: the outcome first, then what is under way, then what has not begun.
 */

/** A course's status (course_completions.status, normalised by silver). */
export const COURSE_STATUS: readonly DimensionValue[] = [
  { value: 'complete', label: 'Complete', tone: 'good' },
  { value: 'complete_rpl', label: 'Complete by RPL', tone: 'good' },
  { value: 'in_progress', label: 'In progress', tone: 'active' },
  { value: 'not_started', label: 'Not started', tone: 'neutral' },
  { value: 'unknown', label: 'Unknown', tone: 'neutral' },
];

/** A certification's course, for a learner assigned the certification: they may not be enrolled in it yet. */
export const CERTIFICATION_COURSE_STATUS: readonly DimensionValue[] = [
  ...COURSE_STATUS.slice(0, 4),
  { value: 'not_enrolled', label: 'Not enrolled', tone: 'neutral' },
  ...COURSE_STATUS.slice(4),
];

export const PROGRAM_STATUS: readonly DimensionValue[] = [
  { value: 'complete', label: 'Complete', tone: 'good' },
  { value: 'in_progress', label: 'In progress', tone: 'active' },
  { value: 'not_started', label: 'Not started', tone: 'neutral' },
];

export const CERTIFICATION_STATE: readonly DimensionValue[] = [
  { value: 'certified', label: 'Certified', tone: 'good' },
  { value: 'window_open', label: 'Window open', tone: 'warning' },
  { value: 'expired', label: 'Expired', tone: 'bad' },
  { value: 'in_progress', label: 'In progress', tone: 'active' },
  { value: 'assigned', label: 'Assigned', tone: 'neutral' },
];

export const RAG: readonly DimensionValue[] = [
  { value: 'red', label: 'Red', tone: 'bad' },
  { value: 'amber', label: 'Amber', tone: 'warning' },
  { value: 'green', label: 'Green', tone: 'good' },
];

export const CERTIFICATION_PATH: readonly DimensionValue[] = [
  { value: 'certification', label: 'First certification' },
  { value: 'recertification', label: 'Recertification' },
];

export const SEMINAR_STATUS: readonly DimensionValue[] = [
  { value: 'attended', label: 'Attended', tone: 'good' },
  { value: 'booked', label: 'Booked', tone: 'active' },
  { value: 'approved', label: 'Approved', tone: 'active' },
  { value: 'waitlisted', label: 'Waitlisted', tone: 'warning' },
  { value: 'requested', label: 'Requested', tone: 'warning' },
  { value: 'no_show', label: 'No-show', tone: 'bad' },
  { value: 'cancelled', label: 'Cancelled', tone: 'neutral' },
  { value: 'declined', label: 'Declined', tone: 'neutral' },
  { value: 'unknown', label: 'Unknown', tone: 'neutral' },
];

/**
 * A SCORM attempt's status as the package reported it (SCORM 1.2's cmi.core.lesson_status, SCORM
 * 2004's cmi.completion_status), in the standards' words. Silver keeps the text given, so a package
 * writing another word or case shows it as written.
 */
export const SCORM_STATUS: readonly DimensionValue[] = [
  { value: 'passed', label: 'Passed', tone: 'good' },
  { value: 'completed', label: 'Completed', tone: 'good' },
  { value: 'failed', label: 'Failed', tone: 'bad' },
  { value: 'incomplete', label: 'Incomplete', tone: 'active' },
  { value: 'browsed', label: 'Browsed', tone: 'neutral' },
  { value: 'not attempted', label: 'Not attempted', tone: 'neutral' },
  { value: 'unknown', label: 'Unknown', tone: 'neutral' },
];

/** SCORM 2004's cmi.success_status. */
export const SCORM_SUCCESS_STATUS: readonly DimensionValue[] = [
  { value: 'passed', label: 'Passed', tone: 'good' },
  { value: 'failed', label: 'Failed', tone: 'bad' },
  { value: 'unknown', label: 'Unknown', tone: 'neutral' },
];

export const COURSE_TYPE: readonly DimensionValue[] = [
  { value: 'elearning', label: 'E-learning' },
  { value: 'blended', label: 'Blended' },
  { value: 'seminar', label: 'Seminar' },
  { value: 'N/A', label: 'Not recorded' },
];

export const LEARNING_SOURCE: readonly DimensionValue[] = [
  { value: 'elearning', label: 'E-learning (SCORM)' },
  { value: 'seminar', label: 'Seminar' },
];

/** `def` with its codes' labels and tones. */
export const coded = (def: DimensionDef, values: readonly DimensionValue[]): DimensionDef => ({ ...def, values });
