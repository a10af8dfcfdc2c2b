#!/usr/bin/env -S node --single-threaded-gc
// --single-threaded-gc: see "Garbage collection" in README.md (why the broker runs without V8 GC helper threads).
import '../dist/src/main.js';
