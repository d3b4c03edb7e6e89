// Runs a CommonJS script from its text, with CommonJS's wrapper and the `require` it is given: the CLI's bundles
// (src/cli/bundle-loader.ts, which passes V8's code cache) and a compiled config module (config/module-loader.ts,
// which runs the very text it checked, never a second read of the file).
import { Script } from 'node:vm';

// On the source's first line, as Node's own, so that stack traces keep their line numbers.
const wrap = (source: string): string =>
  `(function (exports, require, module, __filename, __dirname) { ${source}\n})`;

type Wrapped = (
  exports: unknown,
  require: NodeJS.Require,
  module: { exports: unknown },
  filename: string,
  dirname: string,
) => void;

export interface RanScript {
  exports: unknown;
  /** The compiled script: `cachedDataRejected`, and `createCachedData()` once it has run. */
  script: Script;
}

export function runCommonJs(
  source: string,
  filename: string,
  require: NodeJS.Require,
  cachedData?: Buffer,
): RanScript {
  const script = new Script(wrap(source), { filename, ...(cachedData && { cachedData }) });
  const module = { exports: {} as unknown };
  const dirname = filename.slice(0, filename.lastIndexOf('/')) || '/';
  (script.runInThisContext() as Wrapped)(module.exports, require, module, filename, dirname);
  return { exports: module.exports, script };
}
