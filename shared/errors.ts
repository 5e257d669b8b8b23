/** Error codes the adapters know how to turn into HTTP statuses and Slack replies. */
export type ErrorCode = 'validation' | 'unauthorized' | 'forbidden' | 'not_found' | 'conflict' | 'payload_too_large' | 'upstream' | 'internal';

/**
 * An error as a value: a stable code, a message that is safe to show to the caller, and whether
 * retrying the same input may succeed. Only adapters map it to a status code.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.retryable = options.retryable ?? (code === 'upstream' || code === 'internal');
  }
}

/** Narrow an unknown thrown value to an AppError, wrapping anything else as `internal`. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  return new AppError('internal', 'Internal error', { cause: error });
}
