import type { ValidationErrorEntry } from '@replicant/protocol';
import type { InputSpec, InputSpecs } from './inputs.js';
import { SECRET_MASK, Secret } from './secret.js';

/** The outcome of checking a request's `input` against the declarations. */
export interface ValidatedInput {
  /** Values for predict, defaults filled in; file inputs still hold their URLs. */
  values: Record<string, unknown>;
  /** The input as responses echo it: defaults filled in, secrets masked. */
  echo: Record<string, unknown>;
  /** One entry per bad field; empty when the input is valid. */
  errors: ValidationErrorEntry[];
}

const FILE_URL = /^(https?:\/\/|data:)/i;

/**
 * Checks a request's `input` field against the declarations the way Cog does (pydantic's
 * messages and error types), with one difference: unknown fields are an error, not dropped.
 */
export function validateInput(specs: InputSpecs, raw: unknown): ValidatedInput {
  const values: Record<string, unknown> = {};
  const echo: Record<string, unknown> = {};
  const errors: ValidationErrorEntry[] = [];
  if (raw === undefined || raw === null) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    errors.push({ type: 'model_type', loc: ['body', 'input'], msg: 'Input should be a valid dictionary or object', input: raw });
    return { values, echo, errors };
  }
  const given = raw as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!Object.hasOwn(specs, key)) {
      errors.push({ type: 'extra_forbidden', loc: ['body', 'input', key], msg: 'Extra inputs are not permitted', input: given[key] });
    }
  }
  for (const [name, spec] of Object.entries(specs)) {
    const value = given[name];
    if (value === undefined || (value === null && spec.optional)) {
      if (spec.hasDefault) {
        values[name] = structuredClone(spec.default);
        echo[name] = structuredClone(spec.default);
      } else if (!spec.optional) {
        errors.push({ type: 'missing', loc: ['body', 'input', name], msg: 'Field required' });
      }
      continue;
    }
    const problem = checkValue(spec, value, ['body', 'input', name]);
    if (problem) {
      if (spec.kind === 'secret') delete problem.input;
      errors.push(problem);
      continue;
    }
    values[name] = spec.kind === 'secret' ? new Secret(value as string) : value;
    echo[name] = spec.kind === 'secret' ? SECRET_MASK : value;
  }
  return { values, echo, errors };
}

/** The first thing wrong with one value, or undefined when it is fine. */
function checkValue(spec: InputSpec, value: unknown, loc: (string | number)[]): ValidationErrorEntry | undefined {
  const fail = (type: string, msg: string): ValidationErrorEntry => ({ type, loc, msg, input: value });
  switch (spec.kind) {
    case 'string':
    case 'secret':
      if (typeof value !== 'string') return fail('string_type', 'Input should be a valid string');
      return checkString(spec, value, fail) ?? checkChoice(spec, value, fail);
    case 'path':
      if (typeof value !== 'string') return fail('string_type', 'Input should be a valid string');
      if (!FILE_URL.test(value)) {
        return fail('value_error', `'${value.slice(0, 100)}' is not a valid URL scheme. 'data', 'http', or 'https' is supported.`);
      }
      return undefined;
    case 'integer':
      if (typeof value !== 'number' || !Number.isFinite(value)) return fail('int_type', 'Input should be a valid integer');
      if (!Number.isInteger(value)) {
        return fail('int_from_float', 'Input should be a valid integer, got a number with a fractional part');
      }
      return checkRange(spec, value, fail) ?? checkChoice(spec, value, fail);
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return fail('float_type', 'Input should be a valid number');
      return checkRange(spec, value, fail);
    case 'boolean':
      return typeof value === 'boolean' ? undefined : fail('bool_type', 'Input should be a valid boolean');
    case 'any':
      return undefined;
    case 'object':
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        return fail('dict_type', 'Input should be a valid dictionary');
      return undefined;
    case 'union': {
      // Valid if any alternative takes it; otherwise the first alternative's complaint.
      const problems = (spec.members ?? []).map((member) => checkValue(member, value, loc));
      return problems.includes(undefined) ? undefined : problems[0];
    }
    case 'array': {
      if (!Array.isArray(value)) return fail('list_type', 'Input should be a valid list');
      const item = spec.item as InputSpec;
      for (let i = 0; i < value.length; i++) {
        const problem = checkValue(item, value[i], [...loc, i]);
        if (problem) return problem;
      }
      return undefined;
    }
  }
}

type Fail = (type: string, msg: string) => ValidationErrorEntry;

function checkString(spec: InputSpec, value: string, fail: Fail): ValidationErrorEntry | undefined {
  const length = [...value].length;
  if (spec.minLength !== undefined && length < spec.minLength) {
    return fail('string_too_short', `String should have at least ${spec.minLength} character${spec.minLength === 1 ? '' : 's'}`);
  }
  if (spec.maxLength !== undefined && length > spec.maxLength) {
    return fail('string_too_long', `String should have at most ${spec.maxLength} character${spec.maxLength === 1 ? '' : 's'}`);
  }
  if (spec.regex !== undefined && !new RegExp(spec.regex, 'u').test(value)) {
    return fail('string_pattern_mismatch', `String should match pattern '${spec.regex}'`);
  }
  return undefined;
}

function checkRange(spec: InputSpec, value: number, fail: Fail): ValidationErrorEntry | undefined {
  if (spec.ge !== undefined && value < spec.ge) {
    return fail('greater_than_equal', `Input should be greater than or equal to ${spec.ge}`);
  }
  if (spec.le !== undefined && value > spec.le) {
    return fail('less_than_equal', `Input should be less than or equal to ${spec.le}`);
  }
  return undefined;
}

function checkChoice(spec: InputSpec, value: string | number, fail: Fail): ValidationErrorEntry | undefined {
  if (!spec.choices || spec.choices.includes(value)) return undefined;
  const shown = spec.choices.map((c) => (typeof c === 'string' ? `'${c}'` : String(c)));
  const list = shown.length > 1 ? `${shown.slice(0, -1).join(', ')} or ${shown.at(-1)}` : (shown[0] ?? '');
  return fail('enum', `Input should be ${list}`);
}

/**
 * Checks the declarations themselves, so that a mistake in predict.ts fails setup with a clear
 * message instead of surfacing on the first request. Throws on the first problem.
 */
export function checkDeclarations(specs: InputSpecs): void {
  for (const [name, spec] of Object.entries(specs)) {
    const where = `input "${name}"`;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`${where}: names must be identifiers (letters, digits, _)`);
    if (spec.kind === 'array' && spec.item?.kind === 'array') throw new Error(`${where}: nested arrays are not supported`);
    if (spec.regex !== undefined) {
      try {
        new RegExp(spec.regex, 'u');
      } catch (error) {
        throw new Error(`${where}: regex does not compile: ${(error as Error).message}`);
      }
    }
    if (spec.choices && spec.choices.length === 0) throw new Error(`${where}: choices must not be empty`);
    if (spec.hasDefault) {
      const problem = checkValue(spec, spec.default, [name]);
      if (problem) throw new Error(`${where}: default ${JSON.stringify(spec.default)} is invalid: ${problem.msg}`);
    }
  }
}
