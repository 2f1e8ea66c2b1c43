/**
 * The TypeScript predictor API: declare inputs and output once, write predict, and the runtime
 * serves it with Cog's HTTP protocol.
 */
export { type CogConfig, ModelConfigError, parseCogConfig, readCogConfig } from './config.js';
export { Input, type InputSpec, type InputSpecs, type Inputs, type InputValue } from './inputs.js';
export { Output, type OutputSpec, type OutputValue } from './outputs.js';
export {
  definePredictor,
  isPredictor,
  type PredictContext,
  type Predictor,
  type PredictorDefinition,
  type PredictResult,
} from './predictor.js';
export { buildOpenApi } from './schema.js';
export { inputSpecsFromSchema } from './schema-reader.js';
export { Secret } from './secret.js';
export { validateInput } from './validate.js';
