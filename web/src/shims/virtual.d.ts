/** Provided by the plugin in web/vite.config.mts: lib/engine/simd/kernels.wasm as base64. */
declare module 'virtual:lib-simd-kernels-wasm' {
  const base64: string;
  export default base64;
}
