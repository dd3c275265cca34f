// The portal's stylesheet is plain CSS, one rule after another: a style rule left open swallows every
// rule after it as nested CSS (valid, so no build fails), and those rules silently stop applying.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

/** Each style rule opened inside another style rule, and each block left open, with the line it starts on. */
export function nestingProblems(css) {
  // Comments and strings become spaces of the same length, so lines keep their numbers.
  const text = css.replace(/\/\*[\s\S]*?\*\/|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'/g, (m) => m.replace(/[^\n]/g, ' '));
  const problems = [];
  const open = [];
  let prelude = '';
  let preludeStart = 0;
  const lineAt = (index) => text.slice(0, index).split('\n').length;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '{') {
      const head = prelude.trim();
      const kind = head.startsWith('@') ? 'at-rule' : 'style';
      const parent = open[open.length - 1];
      if (kind === 'style' && parent?.kind === 'style') {
        problems.push(`line ${lineAt(preludeStart)}: "${head}" is inside "${parent.head}" (opened on line ${parent.line} and not closed)`);
      }
      open.push({ kind, head, line: lineAt(preludeStart) });
      prelude = '';
    } else if (ch === '}') {
      open.pop();
      prelude = '';
    } else if (ch === ';') {
      prelude = '';
    } else {
      if (prelude.trim() === '' && !/\s/.test(ch)) preludeStart = i;
      prelude += ch;
    }
  }
  for (const block of open) problems.push(`line ${block.line}: "${block.head}" is never closed`);
  return problems;
}

test('globals.css closes every rule it opens, so no rule is nested inside another by mistake', () => {
  const css = readFileSync(new URL('../app/globals.css', import.meta.url), 'utf8');
  assert.deepEqual(nestingProblems(css), []);
});

test('the check finds a rule left open, and the rules it swallowed', () => {
  assert.deepEqual(nestingProblems('.a {\n  color: red;\n\n.b {\n  color: blue;\n}\n'), [
    'line 4: ".b" is inside ".a" (opened on line 1 and not closed)',
    'line 1: ".a" is never closed',
  ]);
  assert.deepEqual(nestingProblems('@media print {\n  .a { color: red; }\n  @page { margin: 1cm; }\n}\n/* .x { */\n.b::after { content: "}"; }\n'), []);
});
