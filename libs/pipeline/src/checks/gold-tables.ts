/**
 * What the checks know about each gold table: the columns that make a row unique (its grain),
 * the -1 member of a dimension, and which dimension each key column points to.
 */
export interface KeyReference {
  column: string;
  dimension: string;
  key: string;
}

export interface GoldTableSpec {
  table: string;
  grain: readonly string[];
  /** For a dimension: its key column, which must hold exactly one -1 (unknown) member. */
  unknownMemberKey?: string;
  references: readonly KeyReference[];
}

const ref = (column: string, dimension: string, key: string): KeyReference => ({ column, dimension: `gold.${dimension}`, key });
const user = (column = 'user_key') => ref(column, 'dim_user', 'user_key');
const course = (column = 'course_key') => ref(column, 'dim_course', 'course_key');
const program = () => ref('program_key', 'dim_program', 'program_key');
const certification = () => ref('certification_key', 'dim_certification', 'certification_key');
const organisation = (column = 'organisation_key') => ref(column, 'dim_organisation', 'organisation_key');
const position = (column = 'position_key') => ref(column, 'dim_position', 'position_key');
const dates = (...columns: string[]) => columns.map((c) => ref(c, 'dim_date', 'date_key'));

const dimension = (name: string, key: string, references: KeyReference[] = []): GoldTableSpec => ({
  table: `gold.${name}`,
  grain: [key],
  unknownMemberKey: key,
  references,
});
const fact = (name: string, grain: string[], references: KeyReference[]): GoldTableSpec => ({ table: `gold.${name}`, grain, references });

export const GOLD_TABLES: readonly GoldTableSpec[] = [
  dimension('dim_date', 'date_key'),
  dimension('dim_user', 'user_key', [organisation(), position(), user('manager_user_key')]),
  dimension('dim_organisation', 'organisation_key', [organisation('parent_key')]),
  dimension('dim_position', 'position_key', [position('parent_key')]),
  dimension('dim_course', 'course_key', dates('start_date_key')),
  dimension('dim_program', 'program_key'),
  dimension('dim_certification', 'certification_key'),
  dimension('dim_scorm', 'scorm_key', [course()]),
  dimension('dim_seminar_event', 'event_key', [course(), ...dates('start_date_key', 'end_date_key')]),
  dimension('dim_seminar_session', 'seminar_session_key', [ref('event_key', 'dim_seminar_event', 'event_key'), ...dates('date_key')]),
  fact('dim_manager_relationship', ['manager_user_key', 'user_key'], [user('manager_user_key'), user()]),
  fact('fact_course_progress', ['user_id', 'course_id'], [
    user(), course(), organisation(), position(), ...dates('enrolled_date_key', 'started_date_key', 'completed_date_key'),
  ]),
  fact('fact_program_progress', ['user_id', 'program_id'], [
    user(), program(), organisation(), position(), ...dates('due_date_key', 'assigned_date_key', 'started_date_key', 'completed_date_key'),
  ]),
  fact('fact_certification_progress', ['user_id', 'certification_id'], [
    user(), certification(), ...dates('completed_date_key', 'window_opens_date_key', 'expires_date_key', 'baseline_expires_date_key', 'due_date_key'),
  ]),
  fact('fact_course_to_cert_progress', ['user_id', 'certification_id', 'course_id'], [user(), certification(), course(), ...dates('completed_date_key')]),
  fact('fact_scorm', ['user_id', 'scorm_id', 'attempt'], [user(), ref('scorm_key', 'dim_scorm', 'scorm_key'), course(), ...dates('last_accessed_date_key')]),
  fact('fact_seminar_signup', ['signup_id'], [
    user(), ref('session_key', 'dim_seminar_event', 'event_key'), course(), ...dates('signed_up_date_key', 'status_date_key'),
  ]),
  fact('fact_learning_time', ['user_key', 'date_key', 'source'], [user(), ...dates('date_key')]),
  fact('fact_course_history', ['user_id', 'course_id', 'fiscal_year'], [user(), course(), ...dates('fiscal_year_end_date_key', 'completed_date_key')]),
  fact('fact_program_history', ['user_id', 'program_id', 'fiscal_year'], [
    user(), program(), ...dates('fiscal_year_end_date_key', 'due_date_key', 'completed_date_key'),
  ]),
  fact('fact_certification_history', ['user_id', 'certification_id', 'fiscal_year'], [
    user(), certification(), ...dates('fiscal_year_end_date_key', 'completed_date_key', 'expires_date_key'),
  ]),
  fact('fact_course_to_cert_history', ['user_id', 'certification_id', 'course_id', 'fiscal_year'], [
    user(), certification(), course(), ...dates('fiscal_year_end_date_key', 'completed_date_key'),
  ]),
];
