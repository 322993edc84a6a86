/**
 * Argument checks shared by every stage. An error names the setting, the bad value and what
 * would be valid, before anything is computed or written.
 */

/** Throw unless `value` is a finite number > 0 (and an integer when `integer`). */
export function checkPositive(name: string, value: unknown, integer = false): void {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new Error(`${name} must be a positive ${integer ? 'integer' : 'number'}, got ${value}`);
  }
}
