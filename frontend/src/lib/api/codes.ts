// The error codes a failed call can carry: a copy of backend.Codes
// (backend/error.go), in the same order. app/codes_test.go fails until a
// code added in Go is added here too.
export const CODES = [
  'invalid_input',
  'unauthorized',
  'forbidden',
  'main_user_only',
  'tenant_cannot_initiate',
  'tenant_not_active',
  'not_a_member',
  'not_found',
  'method_not_allowed',
  'conflict',
  'too_large',
  'rate_limited',
  'unavailable',
  'internal',
  'unreachable',
] as const;

/** One of the error codes (backend.Codes). */
export type Code = (typeof CODES)[number];

/** Whether s is one of the error codes this UI knows. */
export function isCode(s: unknown): s is Code {
  return typeof s === 'string' && (CODES as readonly string[]).includes(s);
}
