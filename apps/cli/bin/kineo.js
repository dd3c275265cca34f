#!/usr/bin/env node
// Node 22 or newer (package.json's engines): an older one is said, with the way round it, before anything loads.
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  process.stderr.write(
    `kineo needs Node 22 or newer, and this is Node ${process.versions.node}. Run it as "npm run kineo -- <arguments>" from the repository, which uses a Node 24 it fetches when the machine's is older.\n`,
  );
  process.exit(1);
}
require('../dist/main.js');
