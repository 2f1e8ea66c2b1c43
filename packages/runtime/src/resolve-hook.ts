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

type Next = (specifier: string, context: unknown) => Promise<{ url: string }>;

export async function resolve(specifier: string, context: unknown, next: Next): Promise<{ url: string; shortCircuit?: boolean }> {
  if (specifier === '@replicant/runtime' && runtimeUrl) return { url: runtimeUrl, shortCircuit: true };
  return next(specifier, context);
}
