// One implementation of "free loopback ports", shared with the benchmark harness.
export { freePorts } from '../../bench/systems/free-ports.js';
