import { randomFillSync } from 'node:crypto';
import { v7 } from 'uuid';

/**
 * A new id for a message the provider stores: the CorrelationID of a push request, the id of a
 * pull task, of a subscription, of a webhook event. A UUID version 7 (RFC 9562), lower-case.
 *
 * Time-ordered because the store's primary-key index is ordered by it: each new row lands on the
 * index's last pages instead of a random one, so a commit of the SQLite store writes (and syncs) a
 * fraction of the pages that random version 4 ids make it write (bench/store-ids.ts). The
 * guidelines prescribe no format for these ids (modi-patterns.md §7-§8).
 *
 * Options are passed so that `uuid` draws the 73 bits after the timestamp afresh for every id rather
 * than counting up from the previous id of the same millisecond: an id is no easier to guess from
 * another one than a version 4 id is from the time it was made.
 *
 * Those random bytes come from the operating system's CSPRNG 256 ids' worth at a time, as Node's
 * own `randomUUID` caches its entropy: `uuid` asks for 16 bytes per id, a system call each, which
 * cost a push provider ~7 µs per accepted request (issue 19). Each id's bytes are used once.
 */
export function newStoredId(): string {
  if (next === pool.length) {
    randomFillSync(pool);
    next = 0;
  }
  const random = pool.subarray(next, next + ID_RANDOM_BYTES);
  next += ID_RANDOM_BYTES;
  return v7({ random });
}

const ID_RANDOM_BYTES = 16;
const pool = new Uint8Array(256 * ID_RANDOM_BYTES);
let next = pool.length;
