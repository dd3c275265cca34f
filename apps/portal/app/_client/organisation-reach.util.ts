// What a caller's organisations say of their reach: no React and no imports, so Node's tests load it as it is.

export interface Organisation {
  id: number;
  name: string;
  /** Its LMS ids from the top ('/1/5/9'). */
  path: string;
  /** How deep it sits (1 at the top), for indenting the list. */
  depth: number;
  /** Within the caller's reach; one that is not is there only as the heading of those below it. */
  selectable: boolean;
}

/** Who reads a dashboard, for what their reach is: an org admin's is the whole tenant. */
export type Reader = 'admin' | 'manager' | 'viewer';

/**
 * What the caller's reach is, in words: a viewer's granted organisations (the topmost of those they
 * may choose), a manager's reports and where they sit. Undefined for an org admin, who sees the
 * whole tenant. A viewer granted a top-level organisation may choose every one listed (nothing above
 * it is listed), and still sees less than the tenant: the other top-level organisations.
 */
export function reachSentence(organisations: readonly Organisation[], reader: Reader): string | undefined {
  if (reader === 'admin') return undefined;
  const chosen = organisations.filter((o) => o.selectable);
  if (reader === 'manager') {
    return chosen.length
      ? `You see only your reports (in ${someOf(chosen.map((o) => o.name))}): the figures cover only them.`
      : 'You see only your reports: the figures cover only them.';
  }
  const selectable = new Set(chosen.map((o) => o.path));
  const tops = chosen.filter((o) => !selectable.has(o.path.slice(0, o.path.lastIndexOf('/')))).map((o) => o.name);
  return tops.length
    ? `You see only ${someOf(tops)} and what is below ${tops.length === 1 ? 'it' : 'them'}: the figures cover only those.`
    : 'You see only the organisations granted to you: the figures cover only those.';
}

/** 'A', 'A and B', 'A, B and C', 'A, B, C and 4 others'. */
function someOf(names: readonly string[]): string {
  const [shown, rest] = names.length > 4 ? [names.slice(0, 3), `${names.length - 3} others`] : [names.slice(0, -1), names[names.length - 1]];
  return shown.length ? `${shown.join(', ')} and ${rest}` : rest;
}
