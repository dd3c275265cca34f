/**
 * Moves the keyboard to an element once React has drawn the change that brings it (a button that
 * pressed went away with what it acted on): the keyboard goes on from there, not the page's top.
 */
export function focusById(id: string): void {
  requestAnimationFrame(() => document.getElementById(id)?.focus());
}
