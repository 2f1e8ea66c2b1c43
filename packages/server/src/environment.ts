/** What model code gets to see of the platform's environment. */

/** Environment variables an instance inherits; nothing else (no server secrets, no tokens). */
const INHERITED = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'SYSTEMROOT', 'OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'];

/**
 * Prefixes of variables an instance inherits too: pip's and npm's own settings (so a model's
 * Python environment and npm dependencies come from the index and registry, and go through the
 * caches, this machine is configured for) and pyenv's (so its `python3.X` shims find their
 * interpreters).
 */
const INHERITED_PREFIXES = ['PIP_', 'PYENV_', 'NPM_CONFIG_', 'npm_config_'];

/**
 * True when this process is a script npm runs (`npm start`, `npx replicant serve`): its
 * npm_config_* variables are then npm's own export of that run's settings (its prefixes, its
 * flags) rather than the machine's, and are not passed on; the files they came from (~/.npmrc,
 * the global npmrc) apply to a model's npm anyway, as do NPM_CONFIG_* variables.
 */
const underNpm = (): boolean => process.env.npm_lifecycle_event !== undefined || process.env.npm_command !== undefined;

/** The environment of an instance: a few harmless inherited variables and what the director sets. */
export function instanceEnvironment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of INHERITED) if (process.env[name] !== undefined) env[name] = process.env[name];
  const prefixes = underNpm() ? INHERITED_PREFIXES.filter((prefix) => prefix !== 'npm_config_') : INHERITED_PREFIXES;
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && prefixes.some((prefix) => name.startsWith(prefix))) env[name] = value;
  }
  return { ...env, NODE_ENV: 'production', ...extra };
}
