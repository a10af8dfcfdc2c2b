#!/usr/bin/env -S node --max-semi-space-size=4 --initial-old-space-size=64
import '../dist/src/main.js';
