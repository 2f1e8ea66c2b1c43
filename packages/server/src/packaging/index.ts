export { DEFAULT_MAX_BYTES, DEFAULT_MAX_FILES, type PackedModel, type PackLimits, packModel, unpackModel } from './archive.js';
export { ALWAYS_IGNORED, compileIgnoreLine, IGNORE_FILES, IgnoreFilter, type IgnoreRule, parseIgnoreFile } from './ignore.js';
export { PackagingError } from './ustar.js';
