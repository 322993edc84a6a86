/** The few `path` functions lib/ modules call, for '/'-separated paths (see fs.ts). */
export const sep = '/';

export function join(...parts: string[]): string {
  return parts
    .filter((p) => p !== '')
    .join('/')
    .replace(/\/+/g, '/');
}

export function resolve(...parts: string[]): string {
  return join(...parts);
}

export function dirname(file: string): string {
  const i = file.lastIndexOf('/');
  return i <= 0 ? (i === 0 ? '/' : '.') : file.slice(0, i);
}

export function basename(file: string): string {
  return file.slice(file.lastIndexOf('/') + 1);
}
