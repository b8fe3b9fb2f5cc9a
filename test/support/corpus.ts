import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { skipWithout } from './ci.js';
import { ROOT } from './tmp.js';

/**
 * The development corpus: third-party specs (real/), version histories (versions/) and GovWay's
 * Config API (govway/), kept beside the repository in ../shared/fixtures (ACCORDO_FIXTURES
 * overrides, as for `npm run bench`). Only `npm run test:corpus` (test/corpus/) reads it.
 */
export const CORPUS = resolve(process.env.ACCORDO_FIXTURES ?? join(ROOT, '..', 'shared', 'fixtures'));

const PARTS = ['real', 'versions', 'govway'];

/** The corpus parts that are not there. */
export function missingCorpus(): string[] {
  return PARTS.filter((part) => !existsSync(join(CORPUS, part)));
}

/**
 * True when the corpus is missing and the calling test file should skip (it prints so). Under CI
 * a missing corpus throws instead, failing the file. Call it once, at the top of a corpus file.
 */
export function corpusMissing(): boolean {
  const missing = missingCorpus();
  return missing.length > 0 && skipWithout(`the corpus at ${CORPUS} lacks ${missing.join(', ')}`, 'corpus tests', 'put the shared fixtures beside the repository, or set ACCORDO_FIXTURES');
}
