const MASK = '**********';

/**
 * A secret input value (Cog's `Secret`). Printing it shows a mask; read the real value with
 * {@link Secret.getSecretValue}. Responses echo secrets masked.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The secret string itself. */
  getSecretValue(): string {
    return this.#value;
  }

  toString(): string {
    return MASK;
  }

  toJSON(): string {
    return MASK;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Secret(${MASK})`;
  }
}

/** What a response shows in place of a secret. */
export const SECRET_MASK = MASK;
