"""A real WS-Addressing client nobody here wrote: zeep loads the provider's ?wsdl and calls MRequest
with zeep's own WS-Addressing plugin (wsa:Action, wsa:MessageID, wsa:To) and wsa:ReplyTo, which
zeep's plugin leaves out, added by a plugin of ours. Prints as JSON the ACK body, the MessageID
zeep sent and the wsa:RelatesTo the ACK carries."""
import json
import sys

from lxml import etree
import zeep
from zeep.helpers import serialize_object
from zeep.plugins import HistoryPlugin, Plugin
from zeep.wsa import WsAddressingPlugin
from zeep.wsdl.utils import get_or_create_header

WSA = "http://www.w3.org/2005/08/addressing"


class ReplyToPlugin(Plugin):
    """wsa:ReplyTo/wsa:Address: where the provider sends the result (zeep's plugin has no ReplyTo)."""

    def __init__(self, address):
        self.address = address

    def egress(self, envelope, http_headers, operation, binding_options):
        header = get_or_create_header(envelope)
        reply_to = etree.SubElement(header, etree.QName(WSA, "ReplyTo"))
        etree.SubElement(reply_to, etree.QName(WSA, "Address")).text = self.address
        return envelope, http_headers


wsdl_url, reply_to = sys.argv[1], sys.argv[2]
history = HistoryPlugin()
client = zeep.Client(wsdl_url, plugins=[WsAddressingPlugin(), ReplyToPlugin(reply_to), history])
result = client.service.MRequest(M={"o_id": 1234, "a": {"a1s": ["1"], "a2": "prova"}, "b": "prova"})
sent = history.last_sent["envelope"]
received = history.last_received["envelope"]
print(
    json.dumps(
        {
            "body": serialize_object(result),
            "messageId": sent.findtext(f".//{{{WSA}}}MessageID"),
            "to": sent.findtext(f".//{{{WSA}}}To"),
            "relatesTo": received.findtext(f".//{{{WSA}}}RelatesTo"),
            "ackAction": received.findtext(f".//{{{WSA}}}Action"),
        },
        default=str,
    )
)
