/**
 * The ids the runtime makes (CorrelationIDs, task ids, transaction ids) are random UUIDs (version
 * 4, RFC 9562), lower-case: exactly that, so a change of generator or format shows.
 */
export const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}';
export const UUID_V4 = new RegExp(`^${UUID}$`);
