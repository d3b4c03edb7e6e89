#!/usr/bin/env node
// Thin launcher: the bundled CLI lives in dist/cli/ (`npm run build`: tsc, then scripts/bundle-cli.js).
import('../dist/cli/main.js').then((m) => m.main(process.argv.slice(2)));
