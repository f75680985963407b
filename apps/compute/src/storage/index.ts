// The storage layer: the BlobStore contract, its file-system and S3 backends, the store the environment
// asks for, key rules, errors, and the zarrita adapter.

export type { BlobStore, ByteRange } from "./blob-store.js";
export {
  DEFAULT_DATA_DIR,
  DEFAULT_S3_REGION,
  describeStoreConfig,
  type Env,
  s3ClientConfigFromEnv,
  s3ClientFromEnv,
  storeFromEnv,
} from "./config.js";
export { InvalidKeyError, StoreConfigError, StoreError, type StoreOperation } from "./errors.js";
export { FsBlobStore, type FsBlobStoreOptions } from "./fs-store.js";
export {
  checkByteRange,
  checkKey,
  checkPrefix,
  clipByteRange,
  compareKeys,
  isValidKey,
  keyProblem,
  MAX_KEY_BYTES,
} from "./keys.js";
export {
  checkBucketName,
  describeS3Error,
  parseS3Url,
  S3BlobStore,
  type S3BlobStoreOptions,
} from "./s3-store.js";
export { type ZarrBlobStore, zarrStore } from "./zarr-store.js";
