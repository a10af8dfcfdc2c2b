/** piscina task (background pool thread): CRC-verify one segment file. */
import { verifySegmentFile } from '../storage/segment-verifier.js';

export default function verifySegment({ path }: { path: string }): number {
  return verifySegmentFile(path);
}
