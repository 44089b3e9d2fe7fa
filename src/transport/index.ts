export { TcpTransport, type TransportOptions, type TransportLogLevel, type InboundStats, type PeerStats, type PeerLimits } from './tcp-transport.js';
export { LinkFilter, type LinkTarget, type LinkRules } from './link-filter.js';
export { TransportError, type TransportErrorCode } from './errors.js';
export { validateMessage, type ValidationContext } from './validate.js';
