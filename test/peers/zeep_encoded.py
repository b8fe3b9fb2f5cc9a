"""A real SOAP client nobody here wrote: zeep loads the provider's ?wsdl (and the SOAP encoding
schema it imports, served by the provider) and calls the rpc/encoded registraUtenti operation with
a SOAP-ENC array of structs. Prints the answer's parts as JSON. A transport that refuses every
address but the provider's proves nothing is fetched from the network."""
import json
import sys
from urllib.parse import urlparse

import zeep
from zeep.helpers import serialize_object
from zeep.transports import Transport

wsdl_url = sys.argv[1]
origin = urlparse(wsdl_url).netloc


# zeep auto-imports the SOAP encoding namespace from its published address whenever a schema names
# one of its types without importing it, which the encoding schema does for its own types (zeep's
# AUTO_IMPORT_NAMESPACES); that address is answered with the copy the provider serves.
SOAP_ENCODING = "http://schemas.xmlsoap.org/soap/encoding/"
served_encoding = wsdl_url.replace("?wsdl", "?xsd=accordo-well-known%2Fsoap-encoding.xsd")


class LoopbackOnly(Transport):
    def load(self, url):
        if url == SOAP_ENCODING:
            url = served_encoding
        if urlparse(url).netloc != origin:
            raise RuntimeError(f"refused to fetch {url}: only the provider is reachable")
        return super().load(url)


client = zeep.Client(wsdl_url, transport=LoopbackOnly())
result = client.service.registraUtenti(
    utenti=[{"nome": "Ada", "eta": 36, "email": "ada@example.it"}, {"nome": "Bruno", "eta": 41, "email": None}],
    note="due utenti",
)
print(json.dumps(serialize_object(result), default=str))
