#!/usr/bin/env node
// Prisma's generated TypeScript client exports its JSON null sentinels without type annotations,
// and their inferred types (classes with #private members) cannot be written into .d.ts files.
// Annotating them with `typeof` lets `tsc --declaration` build this package.
const fs = require('node:fs');
const path = require('node:path');

const dir = path.join(__dirname, '..', 'src', 'generated', 'prisma', 'internal');
for (const file of ['prismaNamespace.ts', 'prismaNamespaceBrowser.ts']) {
  const full = path.join(dir, file);
  if (!fs.existsSync(full)) continue;
  let text = fs.readFileSync(full, 'utf8');
  text = text.replace(
    /^export const (DbNull|JsonNull|AnyNull) = runtime\.objectEnumValues\.instances\.(\w+)$/gm,
    'export const $1: typeof runtime.objectEnumValues.instances.$2 = runtime.objectEnumValues.instances.$2',
  );
  text = text.replace(
    /^export const (JsonNullValueInput|NullableJsonNullValueInput|JsonNullValueFilter) = \{([^}]*)\} as const$/gm,
    (_m, name, body) =>
      `export const ${name}: {${body.replace(/(\w+): (\w+)/g, '$1: typeof $2').replace(/,\n/g, ';\n')}} = {${body}} as const`,
  );
  fs.writeFileSync(full, text);
}
