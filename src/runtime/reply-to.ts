import { ProblemError } from './problem.js';

/** Which callback URLs a provider accepts in `X-ReplyTo`. */
export interface ReplyToPolicy {
  /** Accepted schemes (default `http:` and `https:`). */
  schemes?: string[];
}

/** Refuses, with a 400 at step 1, an `X-ReplyTo` the provider must not call. */
export function checkReplyTo(value: string, header: string, policy: ReplyToPolicy = {}): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ProblemError(400, `${header} is not an absolute URL`);
  }
  const schemes = policy.schemes ?? ['http:', 'https:'];
  if (!schemes.includes(url.protocol)) throw new ProblemError(400, `${header} must be an ${schemes.map((s) => s.replace(':', '')).join(' or ')} URL`);
  if (url.username || url.password) throw new ProblemError(400, `${header} must not carry credentials`);
  return url;
}
