/** What each failing system call was doing, for the one-line error. */
const DOING: Record<string, string> = {
  open: 'open',
  mkdir: 'create the directory',
  rmdir: 'remove the directory',
  unlink: 'remove',
  rm: 'remove',
  scandir: 'read the directory',
  stat: 'read',
  lstat: 'read',
  read: 'read',
  write: 'write',
  rename: 'rename',
  copyfile: 'copy',
  access: 'access',
};

/** Why, in words, for the codes a user can do something about. */
const WHY: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EISDIR: 'it is a directory',
  ENOENT: 'no such file or directory',
  EEXIST: 'it exists already',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'the name is too long',
};

/**
 * A file system error (EACCES, ENOTDIR, ...) as one line saying what failed and where
 * (`cannot create the directory /x/generated: a part of the path is a file, not a directory (ENOTDIR)`),
 * or undefined for any other error.
 */
export function fileSystemError(e: unknown): string | undefined {
  const err = e as NodeJS.ErrnoException;
  if (!err || typeof err !== 'object' || typeof err.code !== 'string' || !(err.code in WHY) || typeof err.path !== 'string') return undefined;
  const doing = (err.syscall && DOING[err.syscall]) ?? 'use';
  const dest = (e as { dest?: unknown }).dest;
  const to = typeof dest === 'string' ? ` to ${dest}` : '';
  return `cannot ${doing} ${err.path}${to}: ${WHY[err.code]} (${err.code})`;
}
