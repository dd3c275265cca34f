import type { FormProblem } from './post-json.util';

/** A form's refusal, announced to screen readers and tied to the field it is about. */
export function FormAlert({ problem, id }: { problem: FormProblem | null; id: string }) {
  if (!problem) return null;
  return (
    <p id={id} className="notice error" role="alert">
      {problem.message}
    </p>
  );
}

/** aria-describedby for a field: the alert, when the problem is about this field or about no field in particular. */
export function describedBy(problem: FormProblem | null, id: string, field: string): string | undefined {
  return problem && (!problem.field || problem.field === field) ? id : undefined;
}
