// Runs first in the Worker that executes a user's JavaScript tool handlers (src/worker/tool-sandbox.ts appends the
// user's code after this file and the message loop after that, all in one Blob script). Before any user code runs it
// takes away everything that reaches outside: every property of the global object and of its prototype chain that
// is not plain ECMAScript or in the small list below goes (fetch, XMLHttpRequest, WebSocket, EventSource,
// WebTransport, importScripts, Worker, caches, indexedDB, navigator, BroadcastChannel, postMessage, ...), the ones
// on prototypes included, so `Object.getPrototypeOf(self).fetch` finds nothing either. What holds it beyond that:
// the Worker inherits the studio page's Content-Security-Policy (no eval, no new Function, scripts from the page's
// own origin only), so no code can be made from strings, and the host refuses code that uses `import`.
// The user's code sees `handlers` (assign one function per tool) and nothing to talk to the outside with.
const handlers = Object.create(null);
const __sandbox = (() => {
  const post = self.postMessage.bind(self);
  const listen = self.addEventListener.bind(self);
  const stringify = JSON.stringify;
  const KEEP = new Set([
    // ECMAScript
    'Object', 'Function', 'Array', 'Number', 'parseFloat', 'parseInt', 'Infinity', 'NaN', 'undefined', 'Boolean', 'String', 'Symbol',
    'Date', 'Promise', 'RegExp', 'Error', 'AggregateError', 'EvalError', 'RangeError', 'ReferenceError', 'SyntaxError', 'TypeError',
    'URIError', 'globalThis', 'JSON', 'Math', 'Intl', 'ArrayBuffer', 'Uint8Array', 'Int8Array', 'Uint16Array', 'Int16Array',
    'Uint32Array', 'Int32Array', 'Float32Array', 'Float64Array', 'Uint8ClampedArray', 'BigUint64Array', 'BigInt64Array', 'Float16Array',
    'DataView', 'Map', 'BigInt', 'Set', 'WeakMap', 'WeakSet', 'WeakRef', 'FinalizationRegistry', 'Proxy', 'Reflect', 'Iterator',
    'decodeURI', 'decodeURIComponent', 'encodeURI', 'encodeURIComponent', 'escape', 'unescape', 'isFinite', 'isNaN', 'eval',
    // Harmless helpers a handler may want
    'console', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'queueMicrotask', 'structuredClone', 'TextEncoder',
    'TextDecoder', 'URL', 'URLSearchParams', 'atob', 'btoa', 'DOMException', 'self', 'handlers',
  ]);
  const removed = [];
  const kept = [];
  for (let obj = self; obj && obj !== Object.prototype; obj = Object.getPrototypeOf(obj)) {
    for (const name of Object.getOwnPropertyNames(obj)) {
      if (KEEP.has(name) || name === 'constructor') continue;
      try {
        if (delete obj[name] && !Object.prototype.hasOwnProperty.call(obj, name)) {
          removed.push(name);
          continue;
        }
        Object.defineProperty(obj, name, { value: undefined, writable: false, configurable: false });
        removed.push(name);
      } catch {
        kept.push(name);
      }
    }
  }
  listen('message', async (ev) => {
    const { id, name, args } = ev.data;
    try {
      const fn = handlers[name];
      if (typeof fn !== 'function') throw new Error(`no handler for tool "${name}": define handlers.${name} = (args) => result`);
      const result = await fn(args, { name });
      post({ id, ok: true, json: stringify(result === undefined ? null : result) });
    } catch (e) {
      post({ id, ok: false, message: e instanceof Error ? e.message : String(e) });
    }
  });
  return { removed, kept };
})();
