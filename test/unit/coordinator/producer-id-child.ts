/** Child for the producer id kill -9 test: allocates N ids, prints them, then waits to be killed. */
import { ProducerIdManager } from '../../../src/coordinator/producer-id-manager.js';

const [dir, count, blockSize] = process.argv.slice(2);
const m = await ProducerIdManager.open(dir!, { blockSize: Number(blockSize) });
const ids: number[] = [];
for (let i = 0; i < Number(count); i++) ids.push(await m.allocate());
process.stdout.write(`ids ${ids.join(',')}\n`);
setInterval(() => undefined, 1000);
