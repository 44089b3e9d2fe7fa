export { freePorts } from '../../src/cluster/free-ports.js';
