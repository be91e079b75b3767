#!/usr/bin/env node
console.log("candor");
