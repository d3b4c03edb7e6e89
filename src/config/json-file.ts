// JSON files read as the user wrote them, with line/column for syntax errors and for any value a problem names.
import { type Result, err, ok } from '../result.js';
import { readFile } from 'node:fs/promises';
import type { Problem } from './model.js';
import { error } from './problems.js';
import { findNodeAtLocation, parseTree, printParseErrorCode, visit, type ParseError } from 'jsonc-parser';

/** The parsed value and the text it came from (for positions in messages), or the problems. */
export type JsonRead = Result<{ json: unknown; text: string }, Problem[]>;

/** Read and parse one JSON file; a missing file or bad syntax becomes a problem with its position. */
export async function readJsonFile(file: string): Promise<JsonRead> {
  let text: string;
  try {
    text = (await readFile(file, 'utf8')).replace(/^\uFEFF/, '');
  } catch (e) {
    return {
      ok: false,
      error: [error(file, [], `cannot read file: ${(e as Error).message}`, 'check the path')],
    };
  }
  return parseJsonText(file, text);
}

export function parseJsonText(file: string, text: string): JsonRead {
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (e) {
    return err([syntaxProblem(file, text, (e as Error).message)]);
  }
  const duplicates = duplicateKeys(file, text);
  return duplicates.length > 0 ? err(duplicates) : ok({ json: value, text });
}

/**
 * A key written twice in one object: JSON.parse silently keeps the last, so an edit to the first copy (a second
 * "950" pasted below the first, say) would be ignored without a word. Checked on every read, cached fleet or not.
 */
function duplicateKeys(file: string, text: string): Problem[] {
  const problems: Problem[] = [];
  const open: Set<string>[] = [];
  visit(text, {
    onObjectBegin: () => {
      open.push(new Set());
    },
    onObjectEnd: () => {
      open.pop();
    },
    onObjectProperty: (key, offset, _length, line, column, pathSupplier) => {
      const seen = open[open.length - 1];
      if (seen === undefined) return;
      if (!seen.has(key)) {
        seen.add(key);
        return;
      }
      problems.push({
        ...error(
          file,
          [...pathSupplier(), key],
          `duplicate key "${key}": JSON keeps only this last one and drops the earlier one without a word`,
          'merge the two entries into one, or rename one of them',
        ),
        line: line + 1,
        column: column + 1,
      });
    },
  });
  return problems;
}

function syntaxProblem(file: string, text: string, v8Message: string): Problem {
  // jsonc-parser finds the exact offset in every case (V8 omits it for some errors); loaded only on this path.
  const errors: ParseError[] = [];
  parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const first = errors[0];
  const v8Offset = /at position (\d+)/.exec(v8Message)?.[1];
  const offset = first?.offset ?? (v8Offset === undefined ? text.length : Number(v8Offset));
  const reason = v8Message
    .replace(/ in JSON at position \d+.*$/s, '')
    .replace(/, ".*" is not valid JSON$/s, '');
  const detail = first === undefined ? reason : `${reason} (${printParseErrorCode(first.error)})`;
  const { line, column } = lineColumn(text, offset);
  return {
    ...error(file, [], `invalid JSON: ${detail}`, 'fix the JSON syntax at this position'),
    line,
    column,
  };
}

/** 1-based line and column of a character offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split('\n');
  return { line: lines.length, column: (lines[lines.length - 1]?.length ?? 0) + 1 };
}

/**
 * Give each problem in one of `texts`' files the line/column of the value its path names (or of the nearest
 * enclosing value that exists, e.g. the guest object for a missing key).
 */
export function addPositions(problems: Problem[], texts: ReadonlyMap<string, string>): Problem[] {
  if (!problems.some((p) => p.line === undefined && texts.has(p.file))) return problems;
  const trees = new Map<string, ReturnType<typeof parseTree>>();
  return problems.map((p) => {
    const text = texts.get(p.file);
    if (p.line !== undefined || text === undefined) return p;
    if (!trees.has(p.file)) trees.set(p.file, parseTree(text));
    const tree = trees.get(p.file);
    if (tree === undefined) return p;
    for (let n = p.path.length; n >= 0; n--) {
      const node = findNodeAtLocation(tree, p.path.slice(0, n));
      if (node !== undefined) {
        // Point at the key of a property rather than its value, which is where people look.
        const at = node.parent?.type === 'property' ? node.parent.offset : node.offset;
        return { ...p, ...lineColumn(text, at) };
      }
    }
    return p;
  });
}
