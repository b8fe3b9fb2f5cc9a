export { XmlCodec } from './codec.js';
export * from './descriptors.js';
export { SoapFaultError, SOAP11_NS, SOAP12_NS, type FaultCode, type SoapVersion } from './envelope.js';
export { SoapInputError, type SoapValues } from './message.js';
export { registerSoapProvider, type SoapPullHandler, type SoapContext, type SoapHandler, type SoapProviderOptions, type SoapReply } from './provider.js';
export { SoapClient, registerSoapCallbacks, type SoapCallbackDefinition, type SoapClientOptions, type SoapInput, type SoapPollOptions, type SoapReceiverDescriptor } from './consumer.js';
export { XmlError } from './xml.js';
