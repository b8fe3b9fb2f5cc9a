/**
 * The XML facts of a schema loaded from XSD, which the SOAP runtime needs to turn XML into JSON
 * values and back. They live in one vendor keyword, `x-xml`, on property, part and object schemas
 * (src/load/wsdl/README.md has the rules). Validation ignores it (Ajv runs with strict: false).
 */

/** The vendor keyword carrying the XML facts. */
export const XML_KEYWORD = 'x-xml';

export interface XmlFacts {
  /** Local name of the element or attribute this property or part is written as. */
  name?: string;
  /** Its namespace URI; absent when unqualified (no namespace). */
  namespace?: string;
  /** The property is an attribute of the enclosing element. */
  attribute?: true;
  /** The property is the enclosing element's character content (simple content, or mixed text). */
  text?: true;
  /** Position of the element among the enclosing element's children (sequence order). */
  order?: number;
  /** `xsi:nil="true"` stands for JSON `null`. */
  nillable?: true;
  /** An `xs:list` value: whitespace-separated items in XML, an array in JSON. */
  list?: true;
  /** The object also allows child elements the schema does not name (`xs:any`). */
  any?: true;
  /** The object also allows attributes the schema does not name (`xs:anyAttribute`). */
  anyAttribute?: true;
  /**
   * A SOAP-encoded array (a type derived from `soapenc:Array`): one element whose children are the
   * items, whatever their names; `itemType` goes into `soapenc:arrayType`, `type` into `xsi:type`.
   */
  encodedArray?: { itemType: { namespace: string; name: string }; type?: { namespace: string; name: string } };
}

/** The property holding simple content or mixed text: `$` cannot start an XML name, so it never collides. */
export const TEXT_PROPERTY = '$value';
