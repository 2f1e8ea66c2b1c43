/**
 * A module-resolution hook (registered with `module.register`) that makes
 * `import ... from '@replicant/runtime'` in a model's predict.ts resolve to the runtime hosting
 * it, wherever the model folder lives and whether or not it installed a copy.
 */
interface HookData {
  runtimeUrl: string;
}

let runtimeUrl = '';

export function initialize(data: HookData): void {
  runtimeUrl = data.runtimeUrl;
}

type Resolved = { url: string; format?: string | null; shortCircuit?: boolean };
type Next = (specifier: string, context: unknown) => Promise<Resolved>;

export async function resolve(specifier: string, context: unknown, next: Next): Promise<Resolved> {
  if (specifier === '@replicant/runtime' && runtimeUrl) return { url: runtimeUrl, shortCircuit: true };
  const resolved = await next(specifier, context);
  // Model code is ESM (it imports the runtime): a .ts file outside node_modules is a module even
  // without "type": "module" in a package.json above it, as in a bare Cog-style folder.
  if (/\.tsx?$/.test(resolved.url) && resolved.url.startsWith('file:') && !resolved.url.includes('/node_modules/')) {
    return { ...resolved, format: 'module' };
  }
  return resolved;
}
