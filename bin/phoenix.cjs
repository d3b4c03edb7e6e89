#!/usr/bin/env node
// Thin launcher: the bundled CLI lives in dist/cli/ (`npm run build`: tsc, then scripts/bundle-cli.js). The entry is
// CommonJS so that `phoenix --help` never starts Node's ES module loader; the verbs it loads are ES modules.
require('../dist/cli/main.cjs').main(process.argv.slice(2));
