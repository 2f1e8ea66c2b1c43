import type { Secret } from './secret.js';

/** The kinds of value an input can take. */
export type InputKind = 'string' | 'integer' | 'number' | 'boolean' | 'path' | 'secret' | 'array' | 'object' | 'union' | 'any';

/** Options every input accepts (Cog's `Input(...)`). Kinds `object` (a JSON object), `union`
 * (any of `members`) and `any` (any JSON value) only come from reading the schemas of other
 * predictors (Python ones: `dict`, `Union[...]`, `Any`). */
export interface CommonOptions<T> {
  /** Shown to users in the schema. */
  description?: string;
  /** Used when the input is omitted; an input with a default is not required. */
  default?: T;
  /** Marks the input deprecated in the schema; it is still accepted. */
  deprecated?: boolean;
  /** The input may be omitted or null; predict then gets `undefined` (Cog's `Optional[T]`). */
  optional?: boolean;
}

/** Options of string inputs. */
export interface StringOptions extends CommonOptions<string> {
  /** Fewest characters allowed (`min_length`). */
  minLength?: number;
  /** Most characters allowed (`max_length`). */
  maxLength?: number;
  /** A regular expression the value must contain a match of (`regex`). */
  regex?: string;
  /** The only values allowed; the schema gets an enum component named after the input. */
  choices?: readonly string[];
}

/** Options of integer and number inputs. */
export interface NumberOptions extends CommonOptions<number> {
  /** Smallest value allowed, inclusive (`ge`). */
  ge?: number;
  /** Largest value allowed, inclusive (`le`). */
  le?: number;
  /** The only values allowed (integers only, as in Cog). */
  choices?: readonly number[];
}

/** Options of inputs with no constraints of their own (boolean, path, secret). */
export type PlainOptions<T> = CommonOptions<T>;

/** Options of array inputs. */
export type ArrayOptions<T> = CommonOptions<readonly T[]>;

/**
 * The declaration of one input: its kind, options, and (for arrays) the item declaration.
 * `T` is the type predict receives; it exists only for inference.
 */
export interface InputSpec<T = unknown> {
  readonly kind: InputKind;
  readonly description?: string;
  readonly default?: unknown;
  readonly hasDefault: boolean;
  readonly deprecated: boolean;
  readonly optional: boolean;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly regex?: string;
  readonly ge?: number;
  readonly le?: number;
  readonly choices?: readonly (string | number)[];
  readonly item?: InputSpec;
  /** The alternatives of a union. */
  readonly members?: readonly InputSpec[];
  /** Phantom field carrying the value type; never set. */
  readonly __type?: T;
}

/** A record of input declarations, in the order predict lists them. */
export type InputSpecs = Record<string, InputSpec>;

/** The value type of one declaration. */
export type InputValue<S> = S extends InputSpec<infer T> ? T : never;

/** The argument predict receives for a record of declarations. */
export type Inputs<I extends InputSpecs> = { [K in keyof I]: InputValue<I[K]> };

type Maybe<O, T> = O extends { optional: true } ? T | undefined : T;
type Chosen<O, T> = O extends { choices: readonly (infer C)[] } ? C : T;

function spec<T>(kind: InputKind, options: object, item?: InputSpec): InputSpec<T> {
  const o = options as CommonOptions<unknown> & Partial<StringOptions> & Partial<NumberOptions>;
  const result: InputSpec<T> = {
    kind,
    hasDefault: 'default' in o && o.default !== undefined,
    deprecated: o.deprecated === true,
    optional: o.optional === true,
    ...(o.description !== undefined && { description: o.description }),
    ...('default' in o && o.default !== undefined && { default: o.default }),
    ...(o.minLength !== undefined && { minLength: o.minLength }),
    ...(o.maxLength !== undefined && { maxLength: o.maxLength }),
    ...(o.regex !== undefined && { regex: o.regex }),
    ...(o.ge !== undefined && { ge: o.ge }),
    ...(o.le !== undefined && { le: o.le }),
    ...(o.choices !== undefined && { choices: [...o.choices] }),
    ...(item !== undefined && { item }),
  };
  return Object.freeze(result);
}

/**
 * Builders for input declarations, one per type, taking the options of Cog's `Input(...)`.
 *
 * @example
 * const inputs = {
 *   prompt: Input.string({ description: 'What to draw', maxLength: 500 }),
 *   steps: Input.integer({ default: 4, ge: 1, le: 50 }),
 *   mode: Input.string({ choices: ['fast', 'good'], default: 'fast' }),
 *   image: Input.path({ description: 'Source image' }),
 *   seed: Input.integer({ optional: true }),
 * };
 */
export const Input = {
  /** A string (`str`). With `choices`, predict's type is the union of the choices. */
  string<const O extends StringOptions = {}>(options?: O): InputSpec<Maybe<O, Chosen<O, string>>> {
    return spec('string', options ?? {});
  },
  /** An integer (`int`). */
  integer<const O extends NumberOptions = {}>(options?: O): InputSpec<Maybe<O, Chosen<O, number>>> {
    return spec('integer', options ?? {});
  },
  /** A number (`float`); integers are accepted too. */
  number<const O extends Omit<NumberOptions, 'choices'> = {}>(options?: O): InputSpec<Maybe<O, number>> {
    return spec('number', options ?? {});
  },
  /** A boolean (`bool`). */
  boolean<const O extends PlainOptions<boolean> = {}>(options?: O): InputSpec<Maybe<O, boolean>> {
    return spec('boolean', options ?? {});
  },
  /**
   * A file (`cog.Path`). Callers send an `http(s)://` or `data:` URL; predict gets the path of a
   * local temporary file holding its bytes, removed after the prediction.
   */
  path<const O extends Omit<PlainOptions<string>, 'default'> = {}>(options?: O): InputSpec<Maybe<O, string>> {
    return spec('path', options ?? {});
  },
  /** A secret string (`cog.Secret`): masked in schemas' consumers and in responses. */
  secret<const O extends Omit<PlainOptions<string>, 'default'> = {}>(options?: O): InputSpec<Maybe<O, Secret>> {
    return spec('secret', options ?? {});
  },
  /** A list of values of one type (`list[T]`). */
  array<T, const O extends ArrayOptions<T> = {}>(item: InputSpec<T>, options?: O): InputSpec<Maybe<O, NonNullable<T>[]>> {
    return spec('array', options ?? {}, item);
  },
};
