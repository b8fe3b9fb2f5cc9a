/**
 * The well-known schemas Accordo carries (src/load/wsdl/well-known/): the loader reads the copy
 * for an import of one of these namespaces that has no location or one of these remote
 * locations, and the SOAP runtime serves it at `?xsd=<WELL_KNOWN_KEY_PREFIX><file>` and points the
 * served documents' locations there. No imports, so the runtime can share it.
 */
export interface WellKnownSchema {
  namespace: string;
  /** The copy's file name in src/load/wsdl/well-known/. */
  file: string;
  /** Remote locations documents give for it. */
  locations: string[];
}

/** The key the served copy has among the documents (no spec document can have it: it is not a relative path the loader produces). */
export const WELL_KNOWN_KEY_PREFIX = 'accordo-well-known/';

export const WELL_KNOWN_SCHEMAS: readonly WellKnownSchema[] = [
  {
    namespace: 'http://schemas.xmlsoap.org/soap/encoding/',
    file: 'soap-encoding.xsd',
    locations: ['http://schemas.xmlsoap.org/soap/encoding/', 'https://schemas.xmlsoap.org/soap/encoding/'],
  },
  {
    namespace: 'http://www.w3.org/2005/08/addressing',
    file: 'ws-addr.xsd',
    locations: [
      'http://www.w3.org/2006/03/addressing/ws-addr.xsd',
      'https://www.w3.org/2006/03/addressing/ws-addr.xsd',
      'http://www.w3.org/2005/08/addressing/ws-addr.xsd',
      'http://www.w3.org/2005/08/addressing',
      '/schemas/wsdl/ws-addr.xsd',
    ],
  },
  {
    namespace: 'http://www.w3.org/XML/1998/namespace',
    file: 'xml.xsd',
    locations: ['http://www.w3.org/2001/xml.xsd', 'https://www.w3.org/2001/xml.xsd', 'http://www.w3.org/2001/03/xml.xsd'],
  },
];

/** The well-known schema an import names: by its namespace, when its location is absent or one the schema is published at. */
export function wellKnownSchema(namespace: string | undefined, location: string | undefined): WellKnownSchema | undefined {
  const known = WELL_KNOWN_SCHEMAS.find((s) => s.namespace === namespace);
  if (!known) return undefined;
  return location === undefined || location.trim() === '' || known.locations.includes(location.trim()) ? known : undefined;
}
