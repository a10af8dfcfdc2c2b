/** The kcat suite again with the inline engine (`--shards 0`), the baseline mode. */
process.env.MILLRACE_TEST_SHARDS = '0';
await import('./kcat.test.js');
