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
 */
export function newStoredId(): string {
  return v7({});
}
