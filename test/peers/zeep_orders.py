"""A real SOAP client nobody here wrote: zeep loads the provider's ?wsdl, following every import
and include it names (across folders, at any depth), and calls placeOrder. Prints the answer and
the documents zeep fetched as JSON."""
import json
import sys

import zeep
from zeep.helpers import serialize_object
from zeep.transports import Transport


class RecordingTransport(Transport):
    """Records every document zeep loads while reading the WSDL."""

    def __init__(self):
        super().__init__()
        self.loaded = []

    def load(self, url):
        self.loaded.append(url)
        return super().load(url)


transport = RecordingTransport()
client = zeep.Client(sys.argv[1], transport=transport)
result = client.service.placeOrder(item="ABC", quantity=2)
print(json.dumps({"result": serialize_object(result), "loaded": transport.loaded}, default=str))
