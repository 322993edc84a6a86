/**
 * Command-line primitives shared by the scripts: the flag loop, value parsers whose errors
 * name the flag, the bad value and the valid range, and a script's entry (runMain).
 */

// ---------------------------------------------------------------- value parsers

export const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A flag's value as a positive integer, or an error naming the flag and the value. */
export function positiveInt(flag: string, text: string | undefined): number {
  const v = Number(text);
  if (text == null || !DECIMAL.test(text) || !Number.isInteger(v) || v < 1)
    throw new Error(`${flag} must be a positive integer, got '${text}'`);
  return v;
}

/** A flag's value as an integer ≥ 0. */
export function nonNegativeInt(flag: string, text: string | undefined): number {
  const v = Number(text);
  if (text == null || !DECIMAL.test(text) || !Number.isInteger(v) || v < 0)
    throw new Error(`${flag} must be an integer ≥ 0, got '${text}'`);
  return v;
}

/**
 * A flag's value as a finite decimal number in a range; `range` says it in the error,
 * e.g. parseNumber('--epsilon', '2e-4', (v) => v > 0 && v < 1, 'a number in (0, 1), e.g. 2e-4').
 */
export function parseNumber(flag: string, text: string | undefined, ok: (v: number) => boolean, range: string): number {
  const v = Number(text);
  if (text == null || !DECIMAL.test(text.trim()) || !Number.isFinite(v) || !ok(v))
    throw new Error(`${flag} must be ${range}, got '${text}'`);
  return v;
}

export function noDuplicates<T>(flag: string, values: T[]): T[] {
  const seen = new Set<T>();
  for (const v of values) {
    if (seen.has(v)) throw new Error(`${flag}: '${v}' is listed twice; give each value once`);
    seen.add(v);
  }
  return values;
}

export function intList(flag: string, text: string | undefined): number[] {
  if (text == null || text === '') throw new Error(`${flag} needs a comma-separated list of integers`);
  return noDuplicates(
    flag,
    text.split(',').map((t) => {
      const v = Number(t);
      if (t.trim() === '' || !DECIMAL.test(t.trim()) || !Number.isInteger(v))
        throw new Error(`${flag}: '${t}' is not an integer`);
      return v;
    }),
  );
}

// ---------------------------------------------------------------- the flag loop

/**
 * Walk a command line flag by flag; `value()` takes the flag's argument (the next word, or
 * the part after `=` in `--flag=value`), or throws naming the flag that needs one (with the
 * usage text). The next word is never taken as a value when it is itself an option
 * (`--…`): `--profile --list` is an error, not the profile '--list'. A `--flag=value`
 * given to a flag that takes no value is an error too.
 */
export function eachFlag(argv: string[], usage: string, handle: (flag: string, value: () => string) => void): void {
  for (let i = 0; i < argv.length; i++) {
    let flag = argv[i];
    let inline: string | undefined;
    const eq = flag.startsWith('--') ? flag.indexOf('=') : -1;
    if (eq > 2) {
      inline = flag.slice(eq + 1);
      flag = flag.slice(0, eq);
    }
    let used = false;
    handle(flag, () => {
      used = true;
      if (inline != null) return inline;
      const v = argv[i + 1];
      if (v == null) throw new Error(`${flag} needs a value\n${usage}`);
      if (v.startsWith('--'))
        throw new Error(`${flag} needs a value, but the next argument is the option '${v}'\n${usage}`);
      i++;
      return v;
    });
    if (inline != null && !used) throw new Error(`${flag} takes no value, got '${flag}=${inline}'\n${usage}`);
  }
}

/**
 * A script's entry: run `main`, exit with its code; an error prints its message (not a stack:
 * our errors name the bad value and the valid ones) and exits 1.
 */
export function runMain(main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (e) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(1);
    },
  );
}
