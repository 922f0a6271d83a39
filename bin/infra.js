#!/usr/bin/env node
// Runs the bundled CLI; `npm ci` builds it (the `prepare` script).
import "../dist/main.js";
