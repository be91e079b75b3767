// Node-only extras; the core (`@candor/sdk`) stays free of node: imports so it also runs in browsers.
export { fileQueueStorage } from './queue/file.js';
