/** A model reference as `run()` and `stream()` take it: `owner/name` or `owner/name:version`. */
export interface ModelIdentifier {
  owner: string;
  name: string;
  /** The version id, when the reference names one. */
  version?: string;
}

const PATTERN = /^([^/:\s]+)\/([^/:\s]+)(?::([^/:\s]+))?$/;

/**
 * Parses `owner/name` (the model's latest version: `POST /v1/models/{owner}/{name}/predictions`)
 * or `owner/name:version` (that version: `POST /v1/predictions`). Anything else — a bare version
 * id, an empty part, extra slashes — is a `TypeError` that says what is expected.
 */
export function parseIdentifier(ref: string): ModelIdentifier {
  const match = typeof ref === 'string' ? PATTERN.exec(ref) : null;
  if (!match) {
    const hint =
      typeof ref === 'string' && /^[0-9a-f]{64}$/.test(ref) ? ' (for a bare version id use predictions.create({ version }))' : '';
    throw new TypeError(`Invalid model reference ${JSON.stringify(ref)}: expected "owner/name" or "owner/name:version"${hint}`);
  }
  const [, owner, name, version] = match as unknown as [string, string, string, string | undefined];
  return version === undefined ? { owner, name } : { owner, name, version };
}

/** `owner/name` as a URL path (each part encoded). */
export function modelPath(owner: string, name: string): string {
  return `${segment(owner)}/${segment(name)}`;
}

/** One URL path segment, encoded; empty segments are refused (they would change the route). */
export function segment(value: string): string {
  if (typeof value !== 'string' || value === '') throw new TypeError(`Expected a non-empty string, got ${JSON.stringify(value)}`);
  return encodeURIComponent(value);
}
