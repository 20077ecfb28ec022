import { WaymarkError } from '../model/errors.js';

/** A store used before `open()` or after `close()`. */
export class StoreClosedError extends WaymarkError {
  override name = 'StoreClosedError';
}

/**
 * A commit that was refused or failed: nothing of the batch was written (the
 * transaction was rolled back), so the caller may fix the batch and retry.
 */
export class StoreCommitError extends WaymarkError {
  override name = 'StoreCommitError';
}

/** A page `marker` that this store did not issue. */
export class InvalidMarkerError extends WaymarkError {
  override name = 'InvalidMarkerError';
}

/** A store URL waymark does not (yet) handle. */
export class UnsupportedStoreError extends WaymarkError {
  override name = 'UnsupportedStoreError';
}

/** A query that cannot be run as written (a bad glob, a trait filter without a value). */
export class InvalidQueryError extends WaymarkError {
  override name = 'InvalidQueryError';
}

/** The store's schema was written by a newer waymark than this one. */
export class StoreSchemaTooNewError extends WaymarkError {
  override name = 'StoreSchemaTooNewError';
}

/** A commit fenced by a lease another worker has taken since (nothing of the batch was written). */
export class LeaseLostError extends WaymarkError {
  override name = 'LeaseLostError';
}
