// What the bench scripts' command lines share.

/**
 * The whole number a `--name` flag gives (`fallback` when it is absent); anything else, or less
 * than `min`, ends the process with a message and exit code 2.
 */
export function count(name, value, fallback, min = 1) {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    console.error(`--${name} must be a whole number of at least ${min}, got "${value}"`);
    process.exit(2);
  }
  return n;
}
