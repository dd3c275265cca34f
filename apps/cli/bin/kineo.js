#!/usr/bin/env node
// Node 22 or newer (package.json's engines): an older one is said, with the way round it, before anything loads.
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  process.stderr.write(
    `kineo needs Node 22 or newer, and this is Node ${process.versions.node}. Run it as "npm run kineo -- <arguments>" from the repository, which uses a Node 24 it fetches when the machine's is older.\n`,
  );
  process.exit(1);
}
// V8's compiled code of the CLI's modules, kept between runs (Node 22.1+): about 60-100 ms of the
// 0.5-0.6 s a command takes to start. Kept in the checkout's .cache/ (as the Node that
// scripts/with-node.sh fetches), not a shared temporary folder; Node checks each entry against its
// source and skips the cache when the folder cannot be written.
require('node:module').enableCompileCache?.(require('node:path').join(__dirname, '..', '..', '..', '.cache', 'node-compile-cache'));
require('../dist/main.js');
