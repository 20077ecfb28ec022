/**
 * The root of waymark's error classes. Every error waymark throws on purpose is
 * a `WaymarkError`, so callers can tell our errors from bugs.
 */
export class WaymarkError extends Error {
  override name = 'WaymarkError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A value that should have been a timestamp or a duration and is not. */
export class TimeFormatError extends WaymarkError {
  override name = 'TimeFormatError';
}
