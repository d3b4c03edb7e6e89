// node:crypto, fetched on first use. Importing it loads ~18 internal modules (~4 ms of a ~15 ms budget per
// simulated call), and listings, status and config reads never hash or draw random bytes.
export const crypto = (): typeof import('node:crypto') => process.getBuiltinModule('node:crypto');
