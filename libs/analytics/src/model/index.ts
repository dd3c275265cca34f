import { SCORM, LEARNING_TIME, SEMINAR_SIGNUP } from './activity.cubes';
import { CERTIFICATION, CERTIFICATION_HISTORY, COURSE_TO_CERTIFICATION_HISTORY } from './certification.cubes';
import { COURSE_HISTORY, COURSE_PROGRESS } from './course.cubes';
import { LEARNER, LEARNER_NODES } from './learner.cube';
import type { CubeDef } from './model.types';
import { PROGRAM_HISTORY, PROGRAM_PROGRESS } from './program.cubes';

/** The model: every cube by name. Adding a measure or a dimension is one entry in its cube. */
export const CUBES: ReadonlyMap<string, CubeDef> = new Map(
  [
    COURSE_PROGRESS,
    PROGRAM_PROGRESS,
    CERTIFICATION,
    SCORM,
    SEMINAR_SIGNUP,
    LEARNING_TIME,
    LEARNER,
    COURSE_HISTORY,
    PROGRAM_HISTORY,
    CERTIFICATION_HISTORY,
    COURSE_TO_CERTIFICATION_HISTORY,
  ].map((cube) => [cube.name, cube]),
);

export { LEARNER_NODES };
export type * from './model.types';
