/** What model code gets to see of the platform's environment. */

/** Environment variables an instance inherits; nothing else (no server secrets, no tokens). */
const INHERITED = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'SYSTEMROOT', 'OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'];

/**
 * Prefixes of variables an instance inherits too: pip's own settings (so a Python model's
 * environment is built from the index this machine is configured for) and pyenv's (so its
 * `python3.X` shims find their interpreters).
 */
const INHERITED_PREFIXES = ['PIP_', 'PYENV_'];

/** The environment of an instance: a few harmless inherited variables and what the director sets. */
export function instanceEnvironment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of INHERITED) if (process.env[name] !== undefined) env[name] = process.env[name];
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && INHERITED_PREFIXES.some((prefix) => name.startsWith(prefix))) env[name] = value;
  }
  return { ...env, NODE_ENV: 'production', ...extra };
}
