import type { InputSpecs, Inputs } from './inputs.js';
import type { OutputSpec, OutputValue } from './outputs.js';

/** What predict gets besides its inputs. */
export interface PredictContext {
  /** Aborted when the prediction is canceled: stop work and return (or throw) soon. */
  readonly signal: AbortSignal;
  /** The prediction's id, as the caller gave it (or one the server made). */
  readonly id: string;
  /** The request's `context` map (string to string), as Cog's `current_scope().context`. */
  readonly context: Readonly<Record<string, string>>;
  /** Adds or replaces a number in the prediction's `metrics`. */
  recordMetric(name: string, value: number): void;
}

/** A value or a promise of it. */
export type MaybePromise<T> = T | Promise<T>;

/** What predict may return for an output declaration. */
export type PredictResult<O extends OutputSpec> = MaybePromise<OutputValue<O>>;

/** Everything a predictor is made of. */
export interface PredictorDefinition<I extends InputSpecs, O extends OutputSpec> {
  /** The inputs, in the order they are shown to users. */
  inputs: I;
  /** What predict returns. */
  output: O;
  /**
   * Runs once before the first prediction: load weights, warm caches. `weights` is the value of
   * `COG_WEIGHTS` (a URL or a path) when it is set. Anything it prints goes to the setup logs;
   * if it throws, the server reports SETUP_FAILED.
   */
  setup?(weights: string | undefined): MaybePromise<void>;
  /**
   * Runs one prediction. Anything it prints (console or stderr) becomes that prediction's
   * logs; if it throws, that prediction fails and the server carries on.
   */
  predict(inputs: Inputs<I>, context: PredictContext): PredictResult<O>;
}

/** A predictor ready for the runtime to host: what {@link definePredictor} returns. */
export interface Predictor<I extends InputSpecs = InputSpecs, O extends OutputSpec = OutputSpec> extends PredictorDefinition<I, O> {
  readonly [PREDICTOR]: true;
}

const PREDICTOR: unique symbol = Symbol.for('replicant.predictor');

/**
 * Declares a predictor. Export what it returns from `predict.ts` under the name cog.yaml gives
 * (`predict: "predict.ts:Predictor"`). predict's argument is typed from `inputs`, and its return
 * value is checked against `output`.
 *
 * @example
 * export const Predictor = definePredictor({
 *   inputs: { text: Input.string({ description: 'Who to greet' }) },
 *   output: Output.string(),
 *   predict: ({ text }) => `hello ${text}`,
 * });
 */
export function definePredictor<const I extends InputSpecs, const O extends OutputSpec>(
  definition: PredictorDefinition<I, O>,
): Predictor<I, O> {
  return { ...definition, [PREDICTOR]: true as const };
}

/** True when `value` was made by {@link definePredictor} (in any copy of the runtime). */
export function isPredictor(value: unknown): value is Predictor {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[PREDICTOR] === true;
}
