#!/usr/bin/env node
// Thin launcher: the bundled CLI lives in dist/cli/ (`npm run build`: tsc, then scripts/bundle-cli.js), CommonJS
// scripts that src/cli/bundle-loader.ts runs through V8's code cache.
require('../dist/cli/loader.cjs').runCli(process.argv.slice(2));
