/**
 * The ids the runtime makes, lower-case, exactly, so a change of generator or format shows:
 * what a provider stores (CorrelationIDs, pull task ids, subscription and webhook event ids) is
 * a time-ordered UUID version 7 (RFC 9562, src/runtime/ids.ts); the rest (transaction ids of
 * refused requests, WS-Addressing MessageIDs) a random UUID version 4.
 */
export const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}';
export const UUID_V4 = new RegExp(`^${UUID}$`);
export const STORED_ID = '[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}';
export const UUID_V7 = new RegExp(`^${STORED_ID}$`);

/** The Unix time in ms a UUID version 7 carries in its first 48 bits. */
export const uuidV7Time = (id: string): number => parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
