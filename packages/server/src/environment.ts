/** What model code gets to see of the platform's environment. */

/** Environment variables an instance inherits; nothing else (no server secrets, no tokens). */
const INHERITED = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'SYSTEMROOT', 'OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'];

/** The environment of an instance: a few harmless inherited variables and what the director sets. */
export function instanceEnvironment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of INHERITED) if (process.env[name] !== undefined) env[name] = process.env[name];
  return { ...env, NODE_ENV: 'production', ...extra };
}
