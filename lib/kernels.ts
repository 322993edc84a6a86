// placeholder, being written
export function registerWasmKernelFixes(): void {}
