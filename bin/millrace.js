#!/usr/bin/env -S node --max-semi-space-size=4 --initial-old-space-size=64 --no-memory-reducer
import '../dist/src/main.js';
