#!/usr/bin/env node
// The raftkv command. A CommonJS file on purpose: libuv sizes its thread
// pool from UV_THREADPOOL_SIZE at its first use, and loading an ES module
// already uses it (the loader reads files through the pool), so the size must
// be set here, before the CLI's modules load. An explicit UV_THREADPOOL_SIZE
// in the environment wins.

import { nodesInProcess, threadPoolSize } from './thread-pool.cjs';

if (process.env.UV_THREADPOOL_SIZE === undefined) process.env.UV_THREADPOOL_SIZE = String(threadPoolSize(nodesInProcess(process.argv.slice(2))));
void import('./cli.js');
