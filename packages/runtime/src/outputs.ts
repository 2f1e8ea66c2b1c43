/** The kinds of value a predictor can return. */
/** Kind `any` only comes from reading schemas of other predictors (unions, `Any`): any JSON value. */
export type OutputKind = 'string' | 'integer' | 'number' | 'boolean' | 'path' | 'array' | 'iterator' | 'object' | 'any';

/**
 * The declaration of a predictor's output (or of one part of it). `T` is the value predict
 * returns for it; it exists only for inference.
 */
export interface OutputSpec<T = unknown> {
  readonly kind: OutputKind;
  /** Item of an array or iterator. */
  readonly item?: OutputSpec;
  /** Fields of an object; absent for a free-form object. */
  readonly fields?: Readonly<Record<string, OutputSpec>>;
  /** May be null or missing (object fields only). */
  readonly optional: boolean;
  /** Text streams: clients join the chunks (`x-cog-array-display: concatenate`). */
  readonly concatenate: boolean;
  /** Phantom field carrying the value type; never set. */
  readonly __type?: T;
}

/** The value type of one output declaration. */
export type OutputValue<S> = S extends OutputSpec<infer T> ? T : never;

type FieldValues<F extends Record<string, OutputSpec>> = {
  [K in keyof F as F[K] extends OutputSpec<infer T> ? (undefined extends T ? never : K) : never]: OutputValue<F[K]>;
} & {
  [K in keyof F as F[K] extends OutputSpec<infer T> ? (undefined extends T ? K : never) : never]?: OutputValue<F[K]>;
};

function spec<T>(kind: OutputKind, extra: Partial<OutputSpec> = {}): OutputSpec<T> {
  return Object.freeze({ kind, optional: false, concatenate: false, ...extra }) as OutputSpec<T>;
}

/**
 * Builders for output declarations (Cog's return annotations).
 *
 * @example
 * Output.string()                                   // -> str
 * Output.path()                                     // -> cog.Path: return a local file path
 * Output.array(Output.path())                       // -> list[cog.Path]
 * Output.iterator(Output.string(), { concatenate: true })  // -> ConcatenateIterator[str]
 * Output.object({ text: Output.string(), image: Output.optional(Output.path()) })
 */
export const Output = {
  /** A string. */
  string: (): OutputSpec<string> => spec('string'),
  /** An integer. */
  integer: (): OutputSpec<number> => spec('integer'),
  /** A number. */
  number: (): OutputSpec<number> => spec('number'),
  /** A boolean. */
  boolean: (): OutputSpec<boolean> => spec('boolean'),
  /**
   * A file: predict returns the path of a local file, and callers get a data URI or, when the
   * server has an upload URL, the URL it was uploaded to.
   */
  path: (): OutputSpec<string> => spec('path'),
  /** A list, returned whole. */
  array: <T>(item: OutputSpec<T>): OutputSpec<T[]> => spec('array', { item }),
  /**
   * A stream: predict returns an iterable or async iterable (a generator, typically) and each
   * item reaches callers as it is produced. `concatenate` marks a text stream whose chunks
   * clients join (Cog's `ConcatenateIterator[str]`).
   */
  iterator: <T>(
    item: OutputSpec<T>,
    options: { concatenate?: T extends string ? boolean : never } = {},
  ): OutputSpec<Iterable<T> | AsyncIterable<T>> => spec('iterator', { item, concatenate: options.concatenate === true }),
  /**
   * An object. With fields, a structured object (Cog's `BaseModel` output); without, any JSON
   * object (`dict`).
   */
  object: <F extends Record<string, OutputSpec> = {}>(fields?: F): OutputSpec<{} extends F ? Record<string, unknown> : FieldValues<F>> =>
    spec('object', fields ? { fields: Object.freeze({ ...fields }) } : {}),
  /** A field that may be null or missing (object fields only). */
  optional: <T>(inner: OutputSpec<T>): OutputSpec<T | null | undefined> => spec(inner.kind, { ...inner, optional: true }),
};
