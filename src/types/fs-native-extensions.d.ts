// The part of fs-native-extensions (file locks held by the kernel) papergraph uses; the package ships no types.
declare module 'fs-native-extensions' {
  /** Takes an exclusive lock on the open file without waiting; false when another holder has it. */
  export function tryLock(fd: number, options?: { shared?: boolean }): boolean;
  export function unlock(fd: number): void;
}
