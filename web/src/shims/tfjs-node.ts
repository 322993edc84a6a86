/**
 * @tensorflow/tfjs-node for lib/engine/backend.ts in the browser: native TensorFlow does not exist
 * there. backend.ts's nativeAvailable() requires it inside a try, so this just fails.
 * Lib change that removes it: none needed beyond keeping that require() lazy and guarded.
 */
throw new Error('native TensorFlow (@tensorflow/tfjs-node) is not available in the browser');
