/**
 * Whether this runtime has the two `node:net` internals sockit's fast paths hook into, as Node.js
 * and Deno have them: the `onread` option calling its callback with the `net.Socket` as `this`,
 * and a listening server's handle with an `onconnection` that sockit can take over to wrap each
 * accepted handle itself.
 *
 * Bun's `node:net` has neither as Node has it: it calls `onread`'s callback with another `this`,
 * and a socket made from one of its accepted handles never reads. There, streams read through
 * `'data'` events and accepted connections come from the server's `'connection'` event, the
 * documented API that every runtime implements.
 */
export const NODE_STREAM_HOOKS: boolean = typeof process.versions.bun !== "string";
