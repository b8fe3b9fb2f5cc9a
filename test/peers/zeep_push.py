"""A real SOAP client nobody here wrote: zeep loads the provider's ?wsdl and calls MRequest
with the X-ReplyTo SOAP header. Prints the ACK body and the X-Correlation-ID header as JSON."""
import json
import sys

import zeep
from zeep.helpers import serialize_object

wsdl_url, reply_to = sys.argv[1], sys.argv[2]
client = zeep.Client(wsdl_url)
result = client.service.MRequest(
    M={"o_id": 1234, "a": {"a1s": ["1"], "a2": "prova"}, "b": "prova"},
    # The binding declares the header part, so zeep takes its value by part name.
    _soapheaders={"X-ReplyTo": reply_to},
)
# With output headers, zeep answers {body, header}: the body part, and the header elements.
body = serialize_object(result.body)
headers = serialize_object(result.header)
print(json.dumps({"body": body, "headers": headers, "address": client.service._binding_options["address"]}, default=str))
