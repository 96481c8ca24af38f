/**
 * Errors the user can act on (bad config, bad input, missing dependency). The CLI prints only the message
 * and exits 1; anything else is an internal error (exit 2, with its stack).
 */
export class UserError extends Error {
  override name = "UserError";
}

export function isUserError(err: unknown): err is UserError {
  return err instanceof UserError;
}
