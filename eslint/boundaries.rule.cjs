// kineo/boundaries: which workspace may import what. Every import form is checked (import and
// export ... from, import(), require()), and relative paths are resolved, so a boundary cannot be
// crossed with `../../other-package/src`. The rules themselves are listed in docs/architecture.md.
// CommonJS so that infra's Jest suite (which proves the rule bites) can load it as eslint.config.mjs does.
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const KINDS = ['apps', 'libs'];
// Folders of a workspace that ship: everything else (test/, bin/, scripts) is tooling.
const PRODUCTION_DIRS = new Set(['src', 'app']);

/** Each workspace's package name, read from its package.json. */
const WORKSPACES = new Map();
for (const kind of KINDS) {
  for (const name of fs.readdirSync(path.join(ROOT, kind))) {
    const manifest = path.join(ROOT, kind, name, 'package.json');
    if (fs.existsSync(manifest)) WORKSPACES.set(JSON.parse(fs.readFileSync(manifest, 'utf8')).name, `${kind}/${name}`);
  }
}

/** Database drivers and the workspaces that may load them (in production code). */
const DRIVER_OWNERS = {
  '@duckdb/node-api': ['libs/warehouse'],
  '@databricks/sql': ['libs/warehouse'],
  pg: ['libs/db', 'libs/devstack'],
  '@prisma/adapter-pg': ['libs/db'],
  '@prisma/client': ['libs/db'],
};

/** Packages a workspace must never import, anywhere in it, and why. */
const FORBIDDEN = {
  'apps/gateway': {
    '@kineo/pipeline': 'the gateway queues loads and builds; the worker runs them',
    '@kineo/generator': 'the generator makes test exports; it has no place in a server',
  },
};

function workspaceOfPath(file) {
  const parts = path.relative(ROOT, file).split(path.sep);
  if (!KINDS.includes(parts[0]) || parts.length < 3) return undefined;
  return { id: `${parts[0]}/${parts[1]}`, kind: parts[0], production: PRODUCTION_DIRS.has(parts[2]) };
}

function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** The workspace (`apps/x`, `libs/y`) or outside package an import names, and how to call it in a message. */
function target(specifier, importer) {
  if (specifier.startsWith('.')) {
    const resolved = path.resolve(path.dirname(importer), specifier);
    const inside = workspaceOfPath(resolved);
    return { workspace: inside?.id, relative: true, outside: !inside };
  }
  const name = packageName(specifier);
  return { workspace: WORKSPACES.get(name), packageName: name };
}

exports.boundariesRule = {
  meta: {
    type: 'problem',
    docs: { description: 'Keeps the import boundaries between apps, libs, tests and database drivers' },
    schema: [],
  },
  create(context) {
    const from = workspaceOfPath(context.filename);
    if (!from) return {};

    function check(node, specifier) {
      if (typeof specifier !== 'string') return;
      const to = target(specifier, context.filename);
      const report = (message) => context.report({ node, message: `"${specifier}": ${message}` });
      if (to.relative) {
        if (to.outside || to.workspace !== from.id) {
          report(`a relative import must stay inside ${from.id}; import another workspace by its package name`);
        }
        return;
      }
      if (to.workspace && to.workspace !== from.id && to.workspace.startsWith('apps/')) {
        report(`${from.id} must not import an app (${to.workspace}): ${from.kind === 'apps' ? 'apps' : 'libs'} reach apps only through libs, queues and HTTP`);
        return;
      }
      const why = FORBIDDEN[from.id]?.[to.packageName];
      if (why) {
        report(`${from.id} must not import ${to.packageName}: ${why}`);
        return;
      }
      if (!from.production) return;
      if (to.workspace === 'libs/testkit') {
        report(`production code must not import the test kit; local Postgres and Redis launchers are in @kineo/devstack`);
        return;
      }
      const owners = DRIVER_OWNERS[to.packageName];
      if (owners && !owners.includes(from.id)) {
        report(`only ${owners.join(' and ')} may load the database driver ${to.packageName}; go through ${owners[0].replace('libs/', '@kineo/')}`);
      }
    }

    const literal = (node) => (node && node.type === 'Literal' ? node.value : undefined);
    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => check(node, literal(node.source)),
      TSImportEqualsDeclaration: (node) =>
        node.moduleReference.type === 'TSExternalModuleReference' && check(node, literal(node.moduleReference.expression)),
      CallExpression: (node) => {
        if (node.callee.type === 'Identifier' && node.callee.name === 'require') check(node, literal(node.arguments[0]));
      },
    };
  },
};
