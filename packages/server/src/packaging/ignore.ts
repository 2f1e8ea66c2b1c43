import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Paths never packed, at any depth, whatever the ignore files say: version control, environments and caches that
 * are machine-specific (and often full of symlinks), and Replicant's own working folder.
 */
export const ALWAYS_IGNORED: readonly string[] = [
  '.git/',
  'node_modules/',
  '__pycache__/',
  '.venv/',
  'venv/',
  '.cache/',
  '*.pyc',
  '.DS_Store',
  '.replicant/',
];

/** The ignore files read from the model folder's root, in this order (so `.cogignore` lines can override `.dockerignore`). */
export const IGNORE_FILES: readonly string[] = ['.dockerignore', '.cogignore'];

/** One compiled line of an ignore file. */
export interface IgnoreRule {
  /** The line as written, for messages. */
  source: string;
  /** A `!` line: matching paths are put back. */
  negate: boolean;
  /** A line ending in `/`: matches directories only. */
  dirOnly: boolean;
  /** Matches a whole `/`-separated path relative to the folder root. */
  regex: RegExp;
}

/**
 * Compiles one line of a `.dockerignore`-style file; `undefined` for blank lines and comments.
 *
 * Syntax: `*` (within one path segment), `?`, `[a-z]`/`[!a-z]`, `**` (any number of segments), `\` escapes, a leading
 * `!` negates, a trailing `/` restricts to directories. As in `.gitignore`, a pattern with no `/` except a trailing one
 * matches at any depth, and one with a `/` (leading included) is anchored at the folder root. (Docker anchors every
 * pattern at the root; matching a bare name at any depth is what people mean by `*.ckpt` far more often.)
 */
export function compileIgnoreLine(line: string): IgnoreRule | undefined {
  let pattern = line.trim();
  if (pattern === '' || pattern.startsWith('#')) return undefined;
  const negate = pattern.startsWith('!');
  if (negate) pattern = pattern.slice(1).trim();
  const dirOnly = pattern.endsWith('/');
  pattern = pattern.replace(/\/+$/, '');
  let anchored = pattern.startsWith('/');
  pattern = pattern.replace(/^\/+/, '');
  while (pattern.startsWith('./')) pattern = pattern.slice(2);
  if (pattern === '' || pattern === '.') return undefined;
  if (pattern.includes('/')) anchored = true;
  const body = globToRegex(pattern);
  return { source: line.trim(), negate, dirOnly, regex: new RegExp(anchored ? `^${body}$` : `^(?:.*/)?${body}$`) };
}

/** Compiles every line of an ignore file. */
export function parseIgnoreFile(text: string): IgnoreRule[] {
  return text.split(/\r?\n/).flatMap((line) => compileIgnoreLine(line) ?? []);
}

/** Turns a glob (no leading/trailing `/`) into the body of a regular expression. */
function globToRegex(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      let j = i;
      while (glob[j] === '*') j++;
      const wholeSegment = j - i >= 2 && (i === 0 || glob[i - 1] === '/') && (j === glob.length || glob[j] === '/');
      if (wholeSegment && j < glob.length) {
        // `**/` matches zero or more whole directories, so `a/**/b` also matches `a/b`.
        out += '(?:.*/)?';
        i = j;
      } else {
        out += j - i >= 2 ? '.*' : '[^/]*';
        i = j - 1;
      }
    } else if (c === '?') {
      out += '[^/]';
    } else if (c === '[') {
      const end = glob.indexOf(']', glob[i + 1] === '!' || glob[i + 1] === '^' ? i + 3 : i + 2);
      if (end === -1) {
        out += '\\[';
        continue;
      }
      let inner = glob.slice(i + 1, end);
      const negated = inner.startsWith('!') || inner.startsWith('^');
      if (negated) inner = inner.slice(1);
      out += `[${negated ? '^/' : ''}${inner.replace(/[\\\]^[]/g, '\\$&')}]`;
      i = end;
    } else if (c === '\\' && i + 1 < glob.length) {
      out += escapeRegex(glob[++i]!);
    } else {
      out += escapeRegex(c);
    }
  }
  return out;
}

function escapeRegex(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Whether `rule` matches `path` itself or one of its parent directories (so ignoring a folder ignores what is in it). */
function ruleMatches(rule: IgnoreRule, path: string, isDir: boolean): boolean {
  if ((isDir || !rule.dirOnly) && rule.regex.test(path)) return true;
  for (let slash = path.indexOf('/'); slash !== -1; slash = path.indexOf('/', slash + 1)) {
    if (rule.regex.test(path.slice(0, slash))) return true;
  }
  return false;
}

/** Applies rules in order; the last one that matches decides, as in Docker. */
function matchRules(rules: readonly IgnoreRule[], path: string, isDir: boolean): boolean {
  let ignored = false;
  for (const rule of rules) {
    if (rule.negate !== ignored) continue; // it could not change the answer
    if (ruleMatches(rule, path, isDir)) ignored = !rule.negate;
  }
  return ignored;
}

const BUILT_IN = ALWAYS_IGNORED.map((line) => compileIgnoreLine(line)!);

/** Decides which paths of a model folder are left out of its archive. */
export class IgnoreFilter {
  readonly #rules: readonly IgnoreRule[];
  readonly #hasNegations: boolean;

  /** `rules` are the folder's own lines; the built-in list always applies on top and cannot be negated. */
  constructor(rules: readonly IgnoreRule[] = []) {
    this.#rules = rules;
    this.#hasNegations = rules.some((rule) => rule.negate);
  }

  /** Reads `.dockerignore` then `.cogignore` from the folder root; missing files are fine. */
  static async load(dir: string): Promise<IgnoreFilter> {
    const rules: IgnoreRule[] = [];
    for (const name of IGNORE_FILES) {
      const text = await readFile(join(dir, name), 'utf8').catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return '';
        throw error;
      });
      rules.push(...parseIgnoreFile(text));
    }
    return new IgnoreFilter(rules);
  }

  /** True when `path` (relative to the folder root, `/`-separated) is left out. */
  ignores(path: string, isDir: boolean): boolean {
    return matchRules(BUILT_IN, path, isDir) || matchRules(this.#rules, path, isDir);
  }

  /**
   * Whether the walk must look inside directory `path`. An ignored directory is still entered when some `!` line might
   * bring back a file inside it (`weights/` then `!weights/small.bin`), except for the built-in list, never entered.
   */
  shouldDescend(path: string): boolean {
    if (matchRules(BUILT_IN, path, true)) return false;
    return this.#hasNegations || !matchRules(this.#rules, path, true);
  }
}
