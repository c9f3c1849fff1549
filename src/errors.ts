/**
 * Typed errors with a stable code. Every error a user can see is a RefciError:
 * `message` names the thing and the problem, `hint` says what to do next.
 * The CLI maps `code` to an exit code in one place (src/cli/exit-codes.ts).
 */
export type ErrorCode =
  | 'usage' // bad flags or arguments
  | 'invalid-input' // a file or value given by the user cannot be read
  | 'invalid-config' // configuration fails validation
  | 'not-found' // a job, ref, file or revision does not exist
  | 'git' // a git command failed (transport, repository state)
  | 'conflict' // a compare-and-swap lost: somebody else changed the ref
  | 'tool' // an external tool (pkgcheck, pmaint, sandbox) is missing or failed
  | 'forge'; // a forge API answered with an error

export class RefciError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, hint?: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'RefciError';
    this.code = code;
    this.hint = hint;
    this.details = details;
  }

  /** One line for a terminal: the problem, then the fix. */
  oneLine(): string {
    return this.hint ? `${this.message}; ${this.hint}` : this.message;
  }
}

export function isRefciError(error: unknown): error is RefciError {
  return error instanceof RefciError;
}
