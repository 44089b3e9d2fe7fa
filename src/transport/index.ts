export { TcpTransport, type TransportOptions, type PeerStats } from './tcp-transport.js';
export { LinkFilter, type LinkTarget, type LinkRules } from './link-filter.js';
export { TransportError, type TransportErrorCode } from './errors.js';
