/** What people type to name a tenant: lower-case words joined by single hyphens. */
export const SLUG_PATTERN = /^[a-z][a-z0-9-]*[a-z0-9]$/;
export const SLUG_MIN = 3;
export const SLUG_MAX = 40;

/** Returns why a slug is unacceptable, or undefined when it is fine. */
export function slugProblem(slug: string): string | undefined {
  if (slug.length < SLUG_MIN || slug.length > SLUG_MAX) {
    return `is ${slug.length} characters long; a slug has ${SLUG_MIN} to ${SLUG_MAX}`;
  }
  if (/\s/.test(slug)) return 'contains spaces; use hyphens between words (for example "acme-health")';
  if (/[A-Z]/.test(slug)) return `contains upper-case letters; use "${slug.toLowerCase()}"`;
  if (!SLUG_PATTERN.test(slug)) {
    return 'may contain only lower-case letters, digits and hyphens, must start with a letter and must not end with a hyphen';
  }
  if (slug.includes('--')) return 'must not contain two hyphens in a row';
  return undefined;
}
