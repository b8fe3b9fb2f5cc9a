/**
 * An error in a spec the user gave us: it names the file and where in it, and prints as one
 * line (`file:line:col: message (at #/pointer)`), with no stack trace.
 */
export class SpecError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly pointer?: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(message);
    this.name = 'SpecError';
  }

  /** The message with its location, as the CLI prints it. */
  describe(cwd = process.cwd()): string {
    const rel = relative(cwd, this.file);
    const pos = this.line ? `:${this.line}${this.column ? `:${this.column}` : ''}` : '';
    const at = this.pointer !== undefined ? ` (at ${this.pointer === '' ? '#' : '#' + this.pointer})` : '';
    return `${rel}${pos}: ${this.message}${at}`;
  }
}

function relative(cwd: string, file: string): string {
  return file.startsWith(cwd + '/') ? file.slice(cwd.length + 1) : file;
}

/** Escapes one JSON pointer token (RFC 6901). */
export function pointerToken(token: string | number): string {
  return String(token).replace(/~/g, '~0').replace(/\//g, '~1');
}

export function pointerOf(path: readonly (string | number)[]): string {
  return path.map((t) => '/' + pointerToken(t)).join('');
}

export function parsePointer(pointer: string): string[] {
  if (pointer === '' || pointer === '#') return [];
  const p = pointer.startsWith('#') ? pointer.slice(1) : pointer;
  return p
    .split('/')
    .slice(1)
    .map((t) => decodeURIComponent(t).replace(/~1/g, '/').replace(/~0/g, '~'));
}
